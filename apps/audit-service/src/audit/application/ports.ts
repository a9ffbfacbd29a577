import type { EventPayload, NewEvent, RegisteredEvent } from '@taskflow/contracts';
import { EventLog } from '../domain/event-log';
import { LegalHold, LegalHoldScope } from '../domain/legal-hold';
import { RetentionImpact } from '../domain/retention-impact';
import { RetentionPolicy, RetentionRules } from '../domain/retention-policy';
import { TimeBucket } from '../domain/time-bucket';
import { EventFilter, PageRequest } from '@taskflow/contracts';

/**
 * What the audit use cases need from storage and messaging, as abstract classes (the DI tokens); the adapters
 * in infrastructure/ implement them and audit.module.ts binds each token to its adapter.
 */

export interface Page {
  items: EventLog[];
  nextCursor: string | null;
}

export type TypeImpact = { type: string; days: number } & RetentionImpact;

/** event_logs: the analysts' queries (each hides records past `expiresAt`) and the re-stamp. */
export abstract class EventStore {
  /** Newest first, keyset-paged. */
  abstract findPage(filter: EventFilter, page: PageRequest): Promise<Page>;
  /** One request's trail, oldest first (capped). */
  abstract findTrail(correlationId: string): Promise<EventLog[]>;
  /** Every visible event of one entity, oldest first, at most `cap`. */
  abstract findEntityEvents(entityType: string, entityId: string, cap: number): Promise<EventLog[]>;
  /** Every matching record newest first (the newest `limit` only when given), pulled as the consumer reads. */
  abstract streamAll(filter: EventFilter, limit?: number): AsyncIterable<EventLog>;
  abstract countBy(
    field: 'type' | 'actorId',
    filter: EventFilter,
    limit: number,
  ): Promise<{ key: string; count: number }[]>;
  abstract countByBucket(bucket: TimeBucket, filter: EventFilter): Promise<{ bucket: Date; count: number }[]>;
  /** Applies `policy` to the stored records (or only counts, `dryRun`); `updated` = records written. */
  abstract restamp(
    policy: RetentionPolicy,
    options: { dryRun: boolean },
  ): Promise<{ updated: number; affected: RetentionImpact; byType: TypeImpact[] }>;
}

/** legal_holds and the hold state of event_logs records (see domain/legal-hold.ts). */
export abstract class LegalHoldStore {
  abstract active(): Promise<LegalHold[]>;
  abstract list(active?: boolean): Promise<LegalHold[]>;
  abstract find(id: string): Promise<LegalHold | undefined>;
  /** Stored records the scope covers. */
  abstract countCovered(scope: LegalHoldScope): Promise<number>;
  /** Records no hold but `id` covers. */
  abstract countOnlyHeldBy(id: string): Promise<number>;
  /** Stores a new hold whose second sweep is due at `resweepAt`. */
  abstract insert(hold: LegalHold, resweepAt: Date): Promise<void>;
  /** Holds every stored record of the hold's scope; returns how many it newly covered. */
  abstract holdRecords(hold: LegalHold): Promise<number>;
  /** Holds, released or not, whose second sweep was due at or before `now` and is not done (or has no due time). */
  abstract dueForResweep(now: Date): Promise<LegalHold[]>;
  /** Records that the hold's re-sweep is done. */
  abstract markResweept(id: string, at: Date): Promise<void>;
  /** False when the hold was released already. */
  abstract markReleased(id: string, releasedBy: string, releasedAt: Date): Promise<boolean>;
  /** Removes the hold from its records; returns how many got their `expiresAt` back. */
  abstract releaseRecords(hold: LegalHold): Promise<number>;
}

/** The retention rules the stored records were last re-stamped with. */
export abstract class RetentionStampStore {
  abstract lastRules(): Promise<RetentionRules | null>;
  abstract save(rules: RetentionRules, stampedBy: string, eventId: string): Promise<void>;
}

/** Publishes audit-service's own acts (`audit.*` events); resolves to the eventId once Kafka acknowledged it. */
export abstract class AuditActs {
  abstract publish<D extends RegisteredEvent>(definition: D, event: NewEvent<EventPayload<D>>): Promise<string>;
}

/** Whether a Kafka broker answers now (rejects when none does). */
export abstract class BrokerProbe {
  abstract ping(): Promise<void>;
}
