export * from './env';
export * from './tls';
export * from './database';
export * from './shutdown';
