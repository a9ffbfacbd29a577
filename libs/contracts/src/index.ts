export * from './events/event-types';
export * from './events/topics';
export * from './events/envelope';
export * from './events/envelope.factory';
export * from './events/payloads';
export * from './rpc/error-codes';
export * from './rpc/patterns';
export * from './rpc/user.rpc';
