export * from './env';
export * from './tls';
export * from './database';
export * from './signing-keys';
export * from './connection-strings';
export * from './kafka';
export * from './shutdown';
export * from './field-encryption-keys';
