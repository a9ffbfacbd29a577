/**
 * One stored event (collection `event_logs`): the document shape of seed 001 plus the idempotency key
 * `eventId`, the contract `schemaVersion` and the retention deadline `expiresAt`.
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
  expiresAt: Date;
}
