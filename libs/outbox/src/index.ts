export { appendToOutbox, outboxTableSql } from './outbox-sql';
export { backoffMs } from './backoff';
export * from './outbox-relay';
