import type { DataSource, QueryRunner } from 'typeorm';

/** Set on a transaction's query runner by `TransactionalOutbox.append` (TypeORM's `QueryRunner.data`). */
const APPENDED = 'taskflow.outbox.appended';

/** Marks the transaction of `queryRunner` as one that appended to an outbox. */
export function markOutboxAppend(queryRunner: QueryRunner): void {
  queryRunner.data[APPENDED] = true;
}

/**
 * Calls `onCommit` after each committed transaction on `dataSource` that appended an event
 * (`TransactionalOutbox.append`), and never for one rolled back or without an event: the relay is woken by the
 * data written, whichever use case wrote it, instead of waiting for its next poll. A TypeORM entity subscriber
 * (`afterTransactionCommit` / `afterTransactionRollback`), added once per DataSource.
 */
export function wakeAfterOutboxCommit(dataSource: DataSource, onCommit: () => void): void {
  dataSource.subscribers.push({
    afterTransactionCommit: ({ queryRunner }) => {
      if (!queryRunner.data?.[APPENDED]) return;
      delete queryRunner.data[APPENDED];
      onCommit();
    },
    afterTransactionRollback: ({ queryRunner }) => {
      delete queryRunner.data?.[APPENDED];
    },
  });
}
