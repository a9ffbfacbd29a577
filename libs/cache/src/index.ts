export * from './cache-store';
export * from './keys';
export * from './rate-limit';
export * from './redis-client';
export * from './single-flight';
export * from './sessions';
