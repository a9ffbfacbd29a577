import 'reflect-metadata';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { defineField, HasVisibleCharacter, IsText } from '../fields/rules';
import { ENTITY_TYPES, EntityType } from '../events/entity-types';
import { LegalHoldScopeV1, RetentionImpactV1 } from '../events/payloads';

/**
 * HTTP contracts of audit-service's retention governance (issue 13 part 5): legal holds and the audited
 * retention re-stamp. Routes (admin role): `POST|GET /api/v1/audit/admin/legal-holds`,
 * `DELETE /api/v1/audit/admin/legal-holds/{holdId}`, `POST /api/v1/audit/admin/retention/restamp?dryRun=true|false`.
 */

/** An identifier as the audit query filters accept it (`entityId`, `actorId`, `correlationId`). */
const AUDIT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ID_RULE = () => Matches(AUDIT_ID, { message: '$property is malformed (1-128 of A-Z a-z 0-9 . _ : -)' });
const HOLD_REASON = defineField(false, () => IsText({ min: 3, max: 500 }), HasVisibleCharacter);

/**
 * `POST /api/v1/audit/admin/legal-holds`. Exactly one scope: `entityType` + `entityId`, or `actorId`, or
 * `correlationId` (checked by the service, which names the offending field).
 */
export class PlaceLegalHoldRequest {
  @ApiPropertyOptional({ enum: ENTITY_TYPES, description: 'With `entityId`.' })
  @IsOptional()
  @IsIn(ENTITY_TYPES)
  entityType?: EntityType;
  @ApiPropertyOptional({ pattern: AUDIT_ID.source, description: 'With `entityType`.' })
  @IsOptional()
  @ID_RULE()
  entityId?: string;
  @ApiPropertyOptional({ pattern: AUDIT_ID.source, description: 'Every record this actor caused.' })
  @IsOptional()
  @ID_RULE()
  actorId?: string;
  @ApiPropertyOptional({ pattern: AUDIT_ID.source, description: "Every record of one request's trail." })
  @IsOptional()
  @ID_RULE()
  correlationId?: string;
  @ApiProperty({
    minLength: 3,
    maxLength: 500,
    description: 'Why the records are held (the case, the request); length in Unicode code points.',
  })
  @HOLD_REASON.required()
  reason!: string;
}

/** One legal hold. Timestamps are RFC 3339 UTC. A released hold is kept (with who released it, and when). */
export class LegalHoldResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: () => LegalHoldScopeV1, description: 'One entity, one actor or one correlation id.' })
  scope!: LegalHoldScopeV1;
  @ApiProperty() reason!: string;
  @ApiProperty({ description: 'The admin who placed it (user id).' }) placedBy!: string;
  @ApiProperty({ format: 'date-time' }) placedAt!: string;
  @ApiPropertyOptional({ description: 'The admin who released it; absent while active.' }) releasedBy?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'Absent while active.' }) releasedAt?: string;
}

/** `POST …/legal-holds` (201): the hold and how many stored records it covered at once. */
export class PlaceLegalHoldResponse extends LegalHoldResponse {
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Stored records it covered at once.' })
  heldCount!: number;
}

/** `GET …/legal-holds?active=true|false`: newest first. */
export class LegalHoldListResponse {
  @ApiProperty({ type: () => LegalHoldResponse, isArray: true, description: 'Newest first.' })
  items!: LegalHoldResponse[];
}

/** `DELETE …/legal-holds/{holdId}` (200): the released hold and how many records got their retention back. */
export class ReleaseLegalHoldResponse extends LegalHoldResponse {
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Records that got their retention deadline back (no other hold covers them).',
  })
  restoredCount!: number;
}

/** Days per retention class or event type, as AUDIT_RETENTION_JSON writes them. */
const RULES_SCHEMA = { type: 'object', additionalProperties: { type: 'integer' } } as const;

/** One event type whose records a re-stamp moves, with its retention in days. */
export class RetentionTypeImpact extends RetentionImpactV1 {
  @ApiProperty({ example: 'task.created' }) type!: string;
  @ApiProperty({ type: 'integer', description: 'Its retention under `rules`.' }) days!: number;
}

/**
 * `POST …/retention/restamp[?dryRun=true]`: the policy in force (AUDIT_RETENTION_JSON over the defaults) against
 * the one the stored records were last stamped with. `dryRun=true` changes nothing and records nothing.
 */
export class RetentionRestampResponse {
  @ApiProperty() dryRun!: boolean;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Records written (0 on a dry run).' }) updated!: number;
  @ApiProperty({
    ...RULES_SCHEMA,
    nullable: true,
    description: 'The rules of the last recorded re-stamp; null when none was recorded.',
  })
  previousRules!: Record<string, number> | null;
  @ApiProperty({ ...RULES_SCHEMA, description: 'The policy in force.' }) rules!: Record<string, number>;
  @ApiProperty({ type: () => RetentionImpactV1, description: 'Over all stored records.' })
  affected!: RetentionImpactV1;
  @ApiProperty({
    type: () => RetentionTypeImpact,
    isArray: true,
    description:
      'Per event type (retention class member) with its days under `rules`; types with no change are left out.',
  })
  byType!: RetentionTypeImpact[];
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The `audit.retention.changed` event that recorded the change (absent on a dry run).',
  })
  eventId?: string;
}
