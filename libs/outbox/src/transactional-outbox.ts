import { createEnvelope, DefinedEvent, EventContext, EventEnvelope } from '@taskflow/contracts';
import type { EntityManager } from 'typeorm';
import { markOutboxAppend } from './commit-wake';
import { assertTableName } from './outbox-sql';

/**
 * An event to append: its definition, the entity it is about (the Kafka key) and its payload, which the compiler
 * checks against the definition (a union over the registered definitions, see `DefinedEvent`).
 */
export type OutboxEvent = DefinedEvent & { readonly entityId: string };

/**
 * The write side of a service's outbox table (one instance per service, built with the table its migration
 * created with `outboxTableSql`): `append` turns an event into the one envelope (createEnvelope: UUIDv7 id,
 * validated against its definition) and inserts it inside the caller's transaction, so the event exists if and
 * only if the state change commits. `OutboxRelay` publishes the rows; `wakeAfterOutboxCommit` wakes it once the
 * transaction commits.
 */
export class TransactionalOutbox {
  /** Throws if `table` is not a plain SQL identifier. */
  constructor(readonly table: string) {
    assertTableName(table);
  }

  /**
   * Appends `event` with `ctx` (actor, correlation id, request metadata) and resolves to its envelope. Row: topic
   * of the definition, key = `entityId`, `event_id`, `event_type`, payload = the whole envelope. `created_at` is
   * the insert time (clock_timestamp), not the transaction start: the insert runs after the entity row lock, so
   * the events of one entity are ordered as their writes committed. Rejects outside a transaction, and with the
   * contract violation when the payload breaks the definition's rules.
   */
  async append(manager: EntityManager, ctx: EventContext, event: OutboxEvent): Promise<EventEnvelope> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('TransactionalOutbox.append must run inside the transaction of the state change');
    }
    const envelope = createEnvelope(event.definition, { ...ctx, entityId: event.entityId, payload: event.payload });
    await manager.query(
      `INSERT INTO "${this.table}" ("topic", "message_key", "event_id", "event_type", "payload", "created_at")
       VALUES ($1, $2, $3, $4, $5, clock_timestamp())`,
      [event.definition.topic, envelope.entityId, envelope.eventId, envelope.type, JSON.stringify(envelope)],
    );
    markOutboxAppend(manager.queryRunner);
    return envelope;
  }
}
