export * from './idempotency-records';
