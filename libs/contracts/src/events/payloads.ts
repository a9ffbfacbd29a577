import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateTime } from '../fields/rules';
import { TASK_STATUSES, TaskFields, TaskPriority, TaskStatus } from '../fields/task.fields';
import { MASKED_EMAIL } from '../rules/personal-data';
import { USER_ROLES, UserRole } from '../rules/roles';
import { ENTITY_TYPES, EntityType } from './entity-types';

/**
 * Snapshot of a task after the change. Timestamps are ISO-8601 UTC; nullable fields are `null`, never absent.
 * Declared field by field rather than derived from `TaskView` on purpose: a published version's rules must not
 * change when the view gains a field (a new field rides along additively; a v2 declares it), and its title keeps
 * the stored rules (`.stored()`).
 */
export class TaskSnapshotV1 {
  @TaskFields.id.required() id!: string;
  /** As stored: a title from before the visible-character rule stays a valid v1 snapshot. */
  @TaskFields.title.stored() title!: string;
  @TaskFields.description.required() description!: string | null;
  @TaskFields.status.required() status!: TaskStatus;
  @TaskFields.priority.required() priority!: TaskPriority;
  @TaskFields.assigneeId.required() assigneeId!: string | null;
  @TaskFields.creatorId.required() creatorId!: string;
  @TaskFields.dueDate.required() dueDate!: string | null;
  @TaskFields.completedAt.required() completedAt!: string | null;
  @TaskFields.deletedAt.required() deletedAt!: string | null;
  @TaskFields.version.required() version!: number;
}

export class TaskCreatedV1 {
  @IsObject() @ValidateNested() @Type(() => TaskSnapshotV1) task!: TaskSnapshotV1;
}
export class TaskUpdatedV1 {
  @IsObject() @ValidateNested() @Type(() => TaskSnapshotV1) task!: TaskSnapshotV1;
  /** Names of the fields this update changed. */
  @IsString({ each: true }) changedFields!: string[];
}
export class TaskAssignedV1 {
  @IsUUID() taskId!: string;
  @IsOptional() @IsUUID() assigneeId!: string | null;
  @IsOptional() @IsUUID() previousAssigneeId!: string | null;
  @TaskFields.version.required() version!: number;
}
export class TaskStatusChangedV1 {
  @IsUUID() taskId!: string;
  @IsIn(TASK_STATUSES) from!: TaskStatus;
  @IsIn(TASK_STATUSES) to!: TaskStatus;
  @TaskFields.version.required() version!: number;
  /** The task's `completedAt` after the change (absent in events written before it was added). */
  @TaskFields.completedAt.optional() completedAt?: string | null;
}
export class TaskDeletedV1 {
  @IsUUID() taskId!: string;
  @IsDateTime() deletedAt!: string;
  @TaskFields.version.required() version!: number;
}
export class TaskRestoredV1 {
  @IsUUID() taskId!: string;
  @TaskFields.version.required() version!: number;
}

/** Emitted until v2; still accepted, so the audit store keeps reading what earlier producers wrote. */
export class UserRegisteredV1 {
  @IsUUID() userId!: string;
  @IsEmail() email!: string;
  @IsIn(USER_ROLES) role!: UserRole;
}
/** The address masked (`maskEmail`): the outbox, Kafka and the 7-year audit trail keep no clear email. */
export class UserRegisteredV2 {
  @IsUUID() userId!: string;
  @Matches(MASKED_EMAIL) emailMasked!: string;
  @IsIn(USER_ROLES) role!: UserRole;
}
export class UserLoginV1 {
  @IsUUID() userId!: string;
  @IsString() sessionId!: string;
}
export class UserLogoutV1 {
  @IsUUID() userId!: string;
  @IsString() sessionId!: string;
}
export class UserProfileUpdatedV1 {
  @IsUUID() userId!: string;
  @IsString({ each: true }) changedFields!: string[];
}
export class UserRoleChangedV1 {
  @IsUUID() userId!: string;
  @IsIn(USER_ROLES) from!: UserRole;
  @IsIn(USER_ROLES) to!: UserRole;
}

export class SystemBackupStartedV1 {
  @IsString() backupId!: string;
  /** What is backed up: `postgres`, `mongo` or `redis`. */
  @IsString() target!: string;
}
export class SystemBackupCompletedV1 {
  @IsString() backupId!: string;
  @IsString() target!: string;
  @IsIn(['succeeded', 'failed']) outcome!: 'succeeded' | 'failed';
  @IsOptional() @IsInt() sizeBytes?: number;
  @IsOptional() @IsString() sha256?: string;
  @IsOptional() @IsString() error?: string;
}
export class SystemMaintenanceStartedV1 {
  @IsString() reason!: string;
  @IsOptional() @IsDateTime() expectedEndAt?: string;
}

// Retention governance and read auditing (audit-service's own acts, issue 13 parts 5 and 7).

/** Whom a legal hold covers: one entity, one actor, or one correlation id (exactly one of the three). */
export class LegalHoldScopeV1 {
  @ApiPropertyOptional({ enum: ENTITY_TYPES, description: 'With `entityId`.' })
  @IsOptional()
  @IsIn(ENTITY_TYPES)
  entityType?: EntityType;
  @ApiPropertyOptional({ maxLength: 64, description: 'With `entityType`.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  entityId?: string;
  @ApiPropertyOptional({ maxLength: 64 }) @IsOptional() @IsString() @MaxLength(64) actorId?: string;
  @ApiPropertyOptional({ maxLength: 128 }) @IsOptional() @IsString() @MaxLength(128) correlationId?: string;
}
/** `audit.read`: one query of the audit store by `actorId`. */
export class AuditReadV1 {
  /** The route template, e.g. `GET /api/v1/audit/events`. */
  @IsString() @MaxLength(200) route!: string;
  /** The parsed filter the query ran with (dates as RFC 3339), not the raw query string. */
  @IsObject() filter!: Record<string, unknown>;
  /** Records the answer revealed: items returned, records counted by a statistic, or rows streamed by an export. */
  @IsInt() @Min(0) resultCount!: number;
}
/** `audit.legal_hold.placed`: the hold's records stop expiring; `heldCount` stored records were covered at once. */
export class AuditLegalHoldPlacedV1 {
  @IsUUID() holdId!: string;
  @IsObject() @ValidateNested() @Type(() => LegalHoldScopeV1) scope!: LegalHoldScopeV1;
  @IsString() @MaxLength(500) reason!: string;
  @IsInt() @Min(0) heldCount!: number;
}
/** `audit.legal_hold.released`: `restoredCount` records got their retention deadline back (no other hold covers them). */
export class AuditLegalHoldReleasedV1 {
  @IsUUID() holdId!: string;
  @IsObject() @ValidateNested() @Type(() => LegalHoldScopeV1) scope!: LegalHoldScopeV1;
  @IsInt() @Min(0) restoredCount!: number;
}
/** How many stored records a retention change moves; held records only get their set-aside deadline re-stamped. */
export class RetentionImpactV1 {
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Records whose deadline moves earlier.' })
  @IsInt()
  @Min(0)
  earlier!: number;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Records whose deadline moves later.' })
  @IsInt()
  @Min(0)
  later!: number;
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Of `earlier`: records whose new deadline has passed already (they expire on the next TTL pass).',
  })
  @IsInt()
  @Min(0)
  expireNow!: number;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Records whose deadline stays.' })
  @IsInt()
  @Min(0)
  unchanged!: number;
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Held records whose set-aside deadline changes (they still do not expire while held).',
  })
  @IsInt()
  @Min(0)
  held!: number;
}
/** `audit.retention.changed`: the retention policy applied to the stored records (who = the envelope's actorId). */
export class AuditRetentionChangedV1 {
  /** Rules the stored records were last re-stamped with; `null` when no re-stamp was recorded before. */
  @IsOptional() @IsObject() previousRules!: Record<string, number> | null;
  @IsObject() rules!: Record<string, number>;
  @IsObject() @ValidateNested() @Type(() => RetentionImpactV1) affected!: RetentionImpactV1;
}

// Operator recovery (audit-service admin): who redrove, purged or replayed what. Offsets are Kafka offsets
// (decimal strings, as kafkajs gives them); timestamps ISO-8601 UTC.

/** One dead-letter record: where it sits in `<topic>.dlq` and where it came from. */
export class DeadLetterRefV1 {
  @IsString() topic!: string;
  @IsInt() @Min(0) partition!: number;
  @IsString() offset!: string;
  @IsString() originalTopic!: string;
  @IsOptional() @IsString() eventId?: string;
}
export class AuditDeadLetterRedrivenV1 {
  /** The records re-published to their original topics (at most 500 per action). */
  @IsArray()
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => DeadLetterRefV1)
  redriven!: DeadLetterRefV1[];
  /** Selected records that were not found (purged, or never existed). */
  @IsInt() @Min(0) notFound!: number;
}
export class PurgedPartitionV1 {
  @IsInt() @Min(0) partition!: number;
  /** Records before this offset are deleted. */
  @IsString() beforeOffset!: string;
  /** The low watermark before the purge: `beforeOffset - previousLowOffset` records were removed. */
  @IsString() previousLowOffset!: string;
}
export class AuditDeadLetterPurgedV1 {
  @IsString() topic!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => PurgedPartitionV1) partitions!: PurgedPartitionV1[];
}
export class AuditReplayStartedV1 {
  @IsUUID() replayId!: string;
  @IsDateTime() from!: string;
  @IsOptional() @IsDateTime() to?: string;
  @IsString({ each: true }) topics!: string[];
  /** Messages between the start offsets and the end offsets captured at start. */
  @IsInt() @Min(0) messages!: number;
}
export class AuditReplayCompletedV1 {
  @IsUUID() replayId!: string;
  @IsIn(['completed', 'failed']) status!: 'completed' | 'failed';
  @IsInt() @Min(0) read!: number;
  /** Stored by the replay: events missing from the store. */
  @IsInt() @Min(0) stored!: number;
  /** Already stored (absorbed by the unique eventId index). */
  @IsInt() @Min(0) duplicates!: number;
  @IsInt() @Min(0) deadLettered!: number;
  @IsOptional() @IsString() error?: string;
}
