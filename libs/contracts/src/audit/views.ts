import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ENTITY_TYPES } from '../events/entity-types';
import { defineField, HasVisibleCharacter, IsDateTime, IsText } from '../fields/rules';
import { TIME_BUCKETS, TimeBucket } from './query';

/**
 * What the audit API answers and accepts (JSON): audit-service sends these shapes, the gateway documents them in its
 * OpenAPI from these same classes. Dates are ISO 8601 UTC strings on the wire.
 */

export class EventMetadataView {
  @ApiPropertyOptional({ description: 'User agent of the request that caused the event.' }) userAgent?: string;
  @ApiPropertyOptional({ description: 'Client IP address of that request.' }) ipAddress?: string;
  @ApiPropertyOptional({ description: 'Session of the actor.' }) sessionId?: string;
  @ApiProperty({ format: 'date-time', description: 'When the producer built the envelope.' }) timestamp!: string;
}

/** One stored event (`event_logs`, seed 001): `createdAt` is when it happened (the envelope's `occurredAt`). */
export class EventLogView {
  @ApiProperty({ format: 'uuid', description: 'Idempotency key of the event.' }) eventId!: string;
  @ApiProperty({ example: 'task.created' }) type!: string;
  @ApiProperty({ type: 'integer', minimum: 1 }) schemaVersion!: number;
  @ApiProperty({ description: 'A user id, or `system:<tool>` for a tool.' }) actorId!: string;
  @ApiProperty({ enum: ENTITY_TYPES }) entityType!: string;
  @ApiProperty() entityId!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: "The event type's payload." })
  payload!: Record<string, unknown>;
  @ApiProperty({ type: EventMetadataView }) metadata!: EventMetadataView;
  @ApiPropertyOptional() correlationId?: string;
  @ApiPropertyOptional({ description: 'The event that caused this one.' }) causationId?: string;
  @ApiProperty({ format: 'date-time', description: 'When it happened.' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', description: 'When the audit store wrote it.' }) updatedAt!: string;
  @ApiProperty({ format: 'date-time', description: 'Retention deadline; hidden after it.' }) expiresAt!: string;
}

export class EventLogPage {
  @ApiProperty({ type: [EventLogView], description: 'Newest first.' }) items!: EventLogView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last.' })
  nextCursor!: string | null;
}

export class EventTrail {
  @ApiProperty({ type: [EventLogView], description: 'Oldest first, at most 1000.' }) items!: EventLogView[];
}

export class KeyCount {
  @ApiProperty({ description: 'The event type or the actor id.' }) key!: string;
  @ApiProperty({ type: 'integer', minimum: 1 }) count!: number;
}

export class KeyCounts {
  @ApiProperty({ type: [KeyCount], description: 'Largest first, at most 200.' }) items!: KeyCount[];
}

export class BucketCount {
  @ApiProperty({ format: 'date-time', description: 'Start of the UTC bucket (weeks start on Monday).' })
  bucket!: string;
  @ApiProperty({ type: 'integer', minimum: 1 }) count!: number;
}

export class BucketCounts {
  @ApiProperty({ enum: TIME_BUCKETS }) bucket!: TimeBucket;
  @ApiProperty({ type: [BucketCount], description: 'Oldest first; empty buckets left out.' }) items!: BucketCount[];
}

/** The rules of the `system.maintenance.started` payload it becomes, so an accepted body is a valid event. */
const MAINTENANCE_REASON = defineField(false, () => IsText({ min: 3, max: 500 }), HasVisibleCharacter);
const MAINTENANCE_END = defineField(false, IsDateTime);

export class StartMaintenanceRequest {
  @ApiProperty({ minLength: 3, maxLength: 500, description: 'Length in Unicode code points.' })
  @MAINTENANCE_REASON.required()
  reason!: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'RFC 3339 date-time with an offset.' })
  @MAINTENANCE_END.optional()
  expectedEndAt?: string;
}

export class MaintenanceStarted {
  @ApiProperty({ format: 'uuid', description: 'The `system.maintenance.started` event sent.' }) eventId!: string;
}
