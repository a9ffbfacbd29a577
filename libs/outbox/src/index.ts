export { outboxTableSql } from './outbox-sql';
export * from './transactional-outbox';
export { backoffMs } from './backoff';
export * from './outbox-relay';
