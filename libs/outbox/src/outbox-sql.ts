import { assertTableName as assertSqlTable } from '@taskflow/nest-kit';

export const assertTableName = (table: string): string => assertSqlTable(table, 'outbox table');

/**
 * DDL of an outbox table, for a service's own migration. `payload` holds the whole envelope. The partial
 * index serves the relay's "oldest pending first" scan; the sent index serves pruning.
 */
export function outboxTableSql(table: string): { up: string[]; down: string[] } {
  const t = assertTableName(table);
  return {
    up: [
      `CREATE TABLE "${t}" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "topic" text NOT NULL,
        "message_key" text NOT NULL,
        "event_id" uuid NOT NULL,
        "event_type" text NOT NULL,
        "payload" jsonb NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "sent_at" TIMESTAMP WITH TIME ZONE,
        "attempts" integer NOT NULL DEFAULT 0,
        "last_error" text,
        CONSTRAINT "pk_${t}" PRIMARY KEY ("id"),
        CONSTRAINT "uq_${t}_event_id" UNIQUE ("event_id")
      )`,
      `CREATE INDEX "idx_${t}_pending" ON "${t}" ("created_at") WHERE sent_at IS NULL`,
      `CREATE INDEX "idx_${t}_sent" ON "${t}" ("sent_at") WHERE sent_at IS NOT NULL`,
    ],
    down: [`DROP INDEX IF EXISTS "idx_${t}_sent"`, `DROP INDEX IF EXISTS "idx_${t}_pending"`, `DROP TABLE "${t}"`],
  };
}
