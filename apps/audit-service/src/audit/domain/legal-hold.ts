import type { EntityType } from '@taskflow/contracts';
import { EventLog } from './event-log';

/**
 * Legal hold (issue 13 part 5): records of one entity, one actor or one correlation id are kept past their
 * retention until the hold is released. MongoDB's TTL monitor deletes a document only when its indexed
 * `expiresAt` is a date in the past, and ignores documents without the field. So a held record has no
 * `expiresAt`: its deadline is set aside in `retentionExpiresAt`, and `legalHoldIds` lists the holds covering it.
 * Releasing the last hold moves the deadline back (an overdue record then expires on the next TTL pass).
 * Neither field is producer content: both stay out of any content hash, like `expiresAt`.
 */
export type LegalHoldScope =
  { entityType: EntityType; entityId: string } | { actorId: string } | { correlationId: string };

export interface LegalHold {
  /** UUID; also the `entityId` of its `audit.legal_hold.*` events. */
  id: string;
  scope: LegalHoldScope;
  reason: string;
  /** Verified actor (token `sub`) who placed it. */
  placedBy: string;
  placedAt: Date;
  releasedBy?: string;
  releasedAt?: Date;
}

export type ScopeFields = { entityType?: EntityType } & Partial<
  Record<'entityId' | 'actorId' | 'correlationId', string>
>;

/**
 * The one scope a request names, or the field problems: exactly one of `entityType`+`entityId`, `actorId`,
 * `correlationId`.
 */
export function parseScope(
  fields: ScopeFields,
): { scope: LegalHoldScope } | { problems: { field: string; reason: string }[] } {
  const { entityType, entityId, actorId, correlationId } = fields;
  const given = [
    entityType !== undefined || entityId !== undefined,
    actorId !== undefined,
    correlationId !== undefined,
  ];
  const count = given.filter(Boolean).length;
  if (count !== 1) {
    const reason = count === 0 ? 'one scope is required' : 'give only one scope';
    return { problems: [{ field: 'scope', reason: `${reason}: entityType with entityId, actorId, or correlationId` }] };
  }
  if (actorId !== undefined) return { scope: { actorId } };
  if (correlationId !== undefined) return { scope: { correlationId } };
  if (entityType === undefined) return { problems: [{ field: 'entityType', reason: 'is required with entityId' }] };
  if (entityId === undefined) return { problems: [{ field: 'entityId', reason: 'is required with entityType' }] };
  return { scope: { entityType, entityId } };
}

/** True when the hold's scope covers the record. */
export function covers(
  scope: LegalHoldScope,
  record: Pick<EventLog, 'entityType' | 'entityId' | 'actorId' | 'correlationId'>,
) {
  if ('actorId' in scope) return record.actorId === scope.actorId;
  if ('correlationId' in scope) return record.correlationId === scope.correlationId;
  return record.entityType === scope.entityType && record.entityId === scope.entityId;
}

/**
 * A record about to be stored, held by every active hold that covers it: `expiresAt` set aside in
 * `retentionExpiresAt`. Returns the record unchanged when no hold covers it.
 */
export function applyHolds(record: EventLog, activeHolds: readonly LegalHold[]): EventLog {
  const holdIds = activeHolds.filter((hold) => covers(hold.scope, record)).map((hold) => hold.id);
  if (holdIds.length === 0) return record;
  const { expiresAt, ...rest } = record;
  return { ...rest, legalHoldIds: holdIds, retentionExpiresAt: expiresAt };
}
