/**
 * One stored event (collection `event_logs`): the document shape of seed 001 plus the idempotency key
 * `eventId`, the contract `schemaVersion`, the retention deadline `expiresAt` and the legal-hold fields.
 * `createdAt` is when the event happened (envelope `occurredAt`), `updatedAt` when it was written here.
 */
export interface EventLog {
  eventId: string;
  type: string;
  schemaVersion: number;
  actorId: string;
  entityId: string;
  entityType: string;
  payload: Record<string, unknown>;
  metadata: { userAgent?: string; ipAddress?: string; sessionId?: string; timestamp: Date };
  correlationId?: string;
  causationId?: string;
  createdAt: Date;
  updatedAt: Date;
  /** The retention deadline (TTL index). Absent while a legal hold covers the record: see `legal-hold.ts`. */
  expiresAt?: Date;
  /** Legal holds covering the record (ids of `legal_holds`); absent when none. */
  legalHoldIds?: string[];
  /** The retention deadline set aside while held; moved back to `expiresAt` when the last hold is released. */
  retentionExpiresAt?: Date;
}
