import { EventEnvelope, topicForEntity } from '@taskflow/contracts';
import { assertTableName as assertSqlTable } from '@taskflow/nest-kit';
import type { EntityManager } from 'typeorm';

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

/**
 * Appends an event to the outbox inside the caller's transaction, so the event exists if and only if the
 * state change commits. `created_at` is the insert time (clock_timestamp), not the transaction start: the
 * insert runs after the entity row lock, so the events of one entity are ordered as their writes committed.
 */
export async function appendToOutbox(
  manager: EntityManager,
  table: string,
  envelope: EventEnvelope<object>,
): Promise<void> {
  if (!manager.queryRunner?.isTransactionActive) {
    throw new Error('appendToOutbox must run inside the transaction of the state change');
  }
  await manager.query(
    `INSERT INTO "${assertTableName(table)}" ("topic", "message_key", "event_id", "event_type", "payload", "created_at")
     VALUES ($1, $2, $3, $4, $5, clock_timestamp())`,
    [topicForEntity(envelope.entityType), envelope.entityId, envelope.eventId, envelope.type, JSON.stringify(envelope)],
  );
}
