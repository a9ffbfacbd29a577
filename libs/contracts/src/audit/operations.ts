import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Matches, ValidateNested } from 'class-validator';
import { DecimalInt, defineField, IsDateTime, IsIntIn, IsText } from '../fields/rules';

/**
 * Request and response shapes of audit-service's operator-recovery routes (admin role):
 * `GET/POST /api/v1/audit/admin/dead-letters[/redrive|/purge]` and `POST/GET /api/v1/audit/admin/replay[/{id}]`.
 * Offsets are Kafka offsets as decimal strings (int64 does not fit a JSON number); times are RFC 3339 UTC.
 */

/** Most records a listing page returns, and most records one redrive selects. */
export const MAX_DEAD_LETTER_PAGE = 500;
export const MAX_REDRIVE_SELECTION = 500;
/** A listed record's value is cut to this many UTF-16 units (`valueTruncated` says so); `valueBytes` is the full size. */
export const MAX_LISTED_VALUE_LENGTH = 8192;

const TOPIC = defineField(false, () => IsText({ min: 1, max: 249 }));
const OFFSET = defineField(false, () =>
  Matches(/^\d{1,19}$/, { message: '$property must be a Kafka offset: decimal digits' }),
);
const LIMIT = defineField(false, DecimalInt, () => IsIntIn({ min: 1, max: MAX_DEAD_LETTER_PAGE }));
const CURSOR = defineField(false, () => IsText({ min: 1, max: 10_000 }));
const INSTANT = defineField(false, IsDateTime);
const TOPICS = defineField(
  false,
  () => IsArray(),
  () => ArrayMinSize(1),
  () => ArrayMaxSize(100),
  () => IsString({ each: true }),
);
const PARTITION = defineField(false, () => IsIntIn({ min: 0, max: 1_000_000 }));

export class ListDeadLettersQuery {
  /** One dead-letter topic (`<topic>.dlq`) or its original topic; all subscribed topics' `.dlq` when absent. */
  @TOPIC.optional() topic?: string;
  @LIMIT.optional() limit?: number;
  /** `nextCursor` of the previous page. */
  @CURSOR.optional() cursor?: string;
}

const OFFSET_TEXT = 'A Kafka offset, as decimal digits.';
const OFFSET_DOC = { pattern: '^\\d{1,19}$', example: '42', description: OFFSET_TEXT } as const;
const NULLABLE_TEXT = { type: String, nullable: true } as const;

export class DeadLetterItem {
  @ApiProperty({ example: 'taskflow.task.events.v1.dlq', description: 'The dead-letter topic.' }) topic!: string;
  @ApiProperty({ type: 'integer', minimum: 0 }) partition!: number;
  @ApiProperty(OFFSET_DOC) offset!: string;
  @ApiProperty({ format: 'date-time', description: 'When it was dead-lettered (Kafka timestamp).' })
  timestamp!: string;
  @ApiProperty({ ...NULLABLE_TEXT, description: 'The Kafka key as UTF-8 text.' }) key!: string | null;
  @ApiProperty({ ...NULLABLE_TEXT, description: 'Where it came from (`x-dlq-original-topic`).' })
  originalTopic!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, minimum: 0 }) originalPartition!: number | null;
  @ApiProperty({ ...NULLABLE_TEXT, pattern: OFFSET_DOC.pattern, description: OFFSET_TEXT })
  originalOffset!: string | null;
  @ApiProperty({ ...NULLABLE_TEXT, format: 'date-time' }) originalTimestamp!: string | null;
  @ApiProperty({
    ...NULLABLE_TEXT,
    example: 'invalid-envelope',
    description:
      '`x-dlq-error-code`: undecodable, invalid-envelope, rejected-by-store, unstorable (or what a later version adds).',
  })
  errorCode!: string | null;
  @ApiProperty({ ...NULLABLE_TEXT, description: 'Why it was dead-lettered.' }) reason!: string | null;
  @ApiProperty({ ...NULLABLE_TEXT, description: 'The consumer group that dead-lettered it.' })
  consumerGroup!: string | null;
  @ApiPropertyOptional({ description: 'From the value when it is JSON with this field; absent otherwise.' })
  eventId?: string;
  @ApiPropertyOptional({ description: "The value's `type` when it is JSON with one; absent otherwise." })
  eventType?: string;
  @ApiProperty({
    ...NULLABLE_TEXT,
    maxLength: MAX_LISTED_VALUE_LENGTH,
    description: `The value as UTF-8 text, cut to ${MAX_LISTED_VALUE_LENGTH} UTF-16 units.`,
  })
  value!: string | null;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Full size of the value.' }) valueBytes!: number;
  @ApiProperty({ description: '`value` was cut.' }) valueTruncated!: boolean;
}

export class DeadLetterPage {
  @ApiProperty({ type: () => DeadLetterItem, isArray: true }) items!: DeadLetterItem[];
  @ApiProperty({
    ...NULLABLE_TEXT,
    description: 'Pass as `cursor` for the next page; null when every record up to the end of the topics was listed.',
  })
  nextCursor!: string | null;
}

export class DeadLetterRef {
  @ApiProperty({ minLength: 1, maxLength: 249, description: 'The dead-letter topic (`<topic>.dlq`).' })
  @TOPIC.required()
  topic!: string;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 1_000_000 }) @PARTITION.required() partition!: number;
  @ApiProperty(OFFSET_DOC) @OFFSET.required() offset!: string;
}

export class RedriveDeadLettersRequest {
  @ApiProperty({ type: () => DeadLetterRef, isArray: true, minItems: 1, maxItems: MAX_REDRIVE_SELECTION })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_REDRIVE_SELECTION)
  @ValidateNested({ each: true })
  @Type(() => DeadLetterRef)
  records!: DeadLetterRef[];
}

/** A record re-published to its original topic. */
export class RedrivenDeadLetter extends DeadLetterRef {
  @ApiProperty({ description: 'Where it was re-published.' }) originalTopic!: string;
  @ApiPropertyOptional({ description: 'From the value when it is JSON with this field.' }) eventId?: string;
}

export class RedriveDeadLettersResponse {
  @ApiProperty({
    type: () => RedrivenDeadLetter,
    isArray: true,
    description: 'Re-published to their original topics, with their original key, value and headers (minus `x-dlq-*`).',
  })
  redriven!: RedrivenDeadLetter[];
  @ApiProperty({
    type: () => DeadLetterRef,
    isArray: true,
    description: 'Selected but not in the topic (already purged, or no such offset).',
  })
  notFound!: DeadLetterRef[];
  @ApiProperty({ format: 'uuid', description: 'The `audit.dead_letter.redriven` event that records this action.' })
  auditEventId!: string;
}

export class PurgePartition {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 1_000_000 }) @PARTITION.required() partition!: number;
  @ApiProperty({
    ...OFFSET_DOC,
    description: 'Every record before this offset is deleted (Kafka DeleteRecords); the record at it stays.',
  })
  @OFFSET.required()
  beforeOffset!: string;
}

export class PurgeDeadLettersRequest {
  @ApiProperty({ minLength: 1, maxLength: 249, description: 'The dead-letter topic (`<topic>.dlq`).' })
  @TOPIC.required()
  topic!: string;
  @ApiProperty({ type: () => PurgePartition, isArray: true, minItems: 1, maxItems: 1000 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => PurgePartition)
  partitions!: PurgePartition[];
}

/** One partition of a purge. */
export class PurgedPartition {
  @ApiProperty({ type: 'integer', minimum: 0 }) partition!: number;
  @ApiProperty(OFFSET_DOC) beforeOffset!: string;
  @ApiProperty({ ...OFFSET_DOC, description: 'The first offset still in the partition before the purge.' })
  previousLowOffset!: string;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Records deleted.' }) purged!: number;
}

export class PurgeDeadLettersResponse {
  @ApiProperty({ description: 'The dead-letter topic.' }) topic!: string;
  @ApiProperty({ type: () => PurgedPartition, isArray: true }) partitions!: PurgedPartition[];
  @ApiProperty({ format: 'uuid', description: 'The `audit.dead_letter.purged` event that records this action.' })
  auditEventId!: string;
}

export class StartReplayRequest {
  @ApiProperty({
    format: 'date-time',
    description: 'Replay records whose Kafka timestamp is at or after this instant (RFC 3339 with an offset).',
  })
  @INSTANT.required()
  from!: string;
  @ApiPropertyOptional({
    format: 'date-time',
    description:
      '... and before this one; up to the end of each partition as it was when the replay started when absent.',
  })
  @INSTANT.optional()
  to?: string;
  @ApiPropertyOptional({
    type: [String],
    minItems: 1,
    maxItems: 100,
    description: 'Subset of the subscribed topics; all of them when absent.',
  })
  @TOPICS.optional()
  topics?: string[];
}

export const REPLAY_STATUSES = ['running', 'completed', 'failed'] as const;
export type ReplayStatus = (typeof REPLAY_STATUSES)[number];

/** One partition of a replay: where it started, where it stops (exclusive), and how far it has read. */
export class ReplayPartitionProgress {
  @ApiProperty() topic!: string;
  @ApiProperty({ type: 'integer', minimum: 0 }) partition!: number;
  @ApiProperty(OFFSET_DOC) startOffset!: string;
  @ApiProperty({ ...OFFSET_DOC, description: 'Where it stops (exclusive).' }) endOffset!: string;
  @ApiProperty({ ...OFFSET_DOC, description: 'The next offset to read.' }) nextOffset!: string;
}

export class ReplayProgress {
  @ApiProperty({ format: 'uuid' }) replayId!: string;
  @ApiProperty({ enum: REPLAY_STATUSES }) status!: ReplayStatus;
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) to!: string | null;
  @ApiProperty({ type: [String] }) topics!: string[];
  @ApiProperty({ type: () => ReplayPartitionProgress, isArray: true }) partitions!: ReplayPartitionProgress[];
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Messages in the replayed ranges.' }) messages!: number;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Messages read so far.' }) read!: number;
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Events that were missing from the store and are now stored.',
  })
  stored!: number;
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Events already stored (the unique eventId index absorbed them).',
  })
  duplicates!: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) deadLettered!: number;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why it failed.' }) error!: string | null;
  @ApiProperty({ description: "Who started it (the verified token's subject)." }) actorId!: string;
}
