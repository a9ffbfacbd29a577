export * from './env';
export * from './tls';
export * from './database';
export * from './connection-strings';
export * from './jwt';
