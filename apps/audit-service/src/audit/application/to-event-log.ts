import { EventEnvelope } from '@taskflow/contracts';
import { EventLog } from '../domain/event-log';
import { RetentionPolicy } from '../domain/retention-policy';

/** Maps a validated envelope to the stored document; `expiresAt` follows the policy in force at ingest. */
export function toEventLog(envelope: EventEnvelope, policy: RetentionPolicy, now = new Date()): EventLog {
  const createdAt = new Date(envelope.occurredAt);
  const { userAgent, ipAddress, sessionId, timestamp } = envelope.metadata;
  return {
    eventId: envelope.eventId,
    type: envelope.type,
    schemaVersion: envelope.schemaVersion,
    actorId: envelope.actorId,
    entityId: envelope.entityId,
    entityType: envelope.entityType,
    payload: envelope.payload,
    metadata: omitUndefined({ userAgent, ipAddress, sessionId, timestamp: new Date(timestamp) }),
    ...omitUndefined({ correlationId: envelope.correlationId, causationId: envelope.causationId }),
    createdAt,
    updatedAt: now,
    expiresAt: policy.expiresAt(envelope.type, createdAt),
  };
}

function omitUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
