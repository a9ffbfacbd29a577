import 'reflect-metadata';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { defineField, IsText } from '../fields/rules';
import { ENTITY_TYPES, EntityType } from '../events/event-types';
import { LegalHoldScopeV1, RetentionImpactV1 } from '../events/payloads';

/**
 * HTTP contracts of audit-service's retention governance (issue 13 part 5): legal holds and the audited
 * retention re-stamp. Routes (admin role): `POST|GET /api/v1/audit/admin/legal-holds`,
 * `DELETE /api/v1/audit/admin/legal-holds/{holdId}`, `POST /api/v1/audit/admin/retention/restamp?dryRun=true|false`.
 */

/** An identifier as the audit query filters accept it (`entityId`, `actorId`, `correlationId`). */
const AUDIT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ID_RULE = () => Matches(AUDIT_ID, { message: '$property is malformed (1-128 of A-Z a-z 0-9 . _ : -)' });
const HOLD_REASON = defineField(false, () => IsText({ min: 3, max: 500 }));

/**
 * `POST /api/v1/audit/admin/legal-holds`. Exactly one scope: `entityType` + `entityId`, or `actorId`, or
 * `correlationId` (checked by the service, which names the offending field).
 */
export class PlaceLegalHoldRequest {
  @IsOptional() @IsIn(ENTITY_TYPES) entityType?: EntityType;
  @IsOptional() @ID_RULE() entityId?: string;
  @IsOptional() @ID_RULE() actorId?: string;
  @IsOptional() @ID_RULE() correlationId?: string;
  /** Why the records are held (the case, the request), 3-500 characters. */
  @HOLD_REASON.required() reason!: string;
}

/** One legal hold. Timestamps are RFC 3339 UTC. A released hold is kept (with who released it, and when). */
export class LegalHoldResponse {
  id!: string;
  scope!: LegalHoldScopeV1;
  reason!: string;
  placedBy!: string;
  placedAt!: string;
  releasedBy?: string;
  releasedAt?: string;
}

/** `POST …/legal-holds` (201): the hold and how many stored records it covered at once. */
export class PlaceLegalHoldResponse extends LegalHoldResponse {
  heldCount!: number;
}

/** `GET …/legal-holds?active=true|false`: newest first. */
export class LegalHoldListResponse {
  items!: LegalHoldResponse[];
}

/** `DELETE …/legal-holds/{holdId}` (200): the released hold and how many records got their retention back. */
export class ReleaseLegalHoldResponse extends LegalHoldResponse {
  restoredCount!: number;
}

/**
 * `POST …/retention/restamp[?dryRun=true]`: the policy in force (AUDIT_RETENTION_JSON over the defaults) against
 * the one the stored records were last stamped with. `dryRun=true` changes nothing and records nothing.
 */
export class RetentionRestampResponse {
  dryRun!: boolean;
  /** Records written (0 on a dry run). */
  updated!: number;
  /** The rules of the last recorded re-stamp; `null` when none was recorded. */
  previousRules!: Record<string, number> | null;
  rules!: Record<string, number>;
  affected!: RetentionImpactV1;
  /** Per event type (retention class member) with its days under `rules`; types with no change are left out. */
  byType!: ({ type: string; days: number } & RetentionImpactV1)[];
  /** The `audit.retention.changed` event that recorded the change (absent on a dry run). */
  eventId?: string;
}
