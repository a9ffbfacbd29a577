export { outboxTableSql } from './outbox-sql';
export * from './transactional-outbox';
export { wakeAfterOutboxCommit } from './commit-wake';
export { backoffMs } from './backoff';
export * from './outbox-relay';
