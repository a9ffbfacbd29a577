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

export interface DeadLetterItem {
  /** The dead-letter topic and the record's place in it. */
  topic: string;
  partition: number;
  offset: string;
  /** When it was dead-lettered (Kafka timestamp). */
  timestamp: string;
  key: string | null;
  originalTopic: string | null;
  originalPartition: number | null;
  originalOffset: string | null;
  originalTimestamp: string | null;
  /** `x-dlq-error-code`: undecodable, invalid-envelope, rejected-by-store, unstorable (or what a later version adds). */
  errorCode: string | null;
  reason: string | null;
  consumerGroup: string | null;
  /** From the value when it is JSON with these fields; absent otherwise. */
  eventId?: string;
  eventType?: string;
  /** The value as UTF-8 text, at most MAX_LISTED_VALUE_LENGTH units. */
  value: string | null;
  valueBytes: number;
  valueTruncated: boolean;
}

export interface DeadLetterPage {
  items: DeadLetterItem[];
  /** Pass as `cursor` for the next page; null when every record up to the end of the topics was listed. */
  nextCursor: string | null;
}

export class DeadLetterRef {
  /** The dead-letter topic (`<topic>.dlq`). */
  @TOPIC.required() topic!: string;
  @PARTITION.required() partition!: number;
  @OFFSET.required() offset!: string;
}

export class RedriveDeadLettersRequest {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_REDRIVE_SELECTION)
  @ValidateNested({ each: true })
  @Type(() => DeadLetterRef)
  records!: DeadLetterRef[];
}

export interface RedriveDeadLettersResponse {
  /** Re-published to their original topics, with their original key, value and headers (minus `x-dlq-*`). */
  redriven: (DeadLetterRef & { originalTopic: string; eventId?: string })[];
  /** Selected but not in the topic (already purged, or no such offset). */
  notFound: DeadLetterRef[];
  /** The `audit.dead_letter.redriven` event that records this action. */
  auditEventId: string;
}

export class PurgePartition {
  @PARTITION.required() partition!: number;
  /** Every record before this offset is deleted (Kafka DeleteRecords); the record at it stays. */
  @OFFSET.required() beforeOffset!: string;
}

export class PurgeDeadLettersRequest {
  /** The dead-letter topic (`<topic>.dlq`). */
  @TOPIC.required() topic!: string;
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => PurgePartition)
  partitions!: PurgePartition[];
}

export interface PurgeDeadLettersResponse {
  topic: string;
  partitions: { partition: number; beforeOffset: string; previousLowOffset: string; purged: number }[];
  /** The `audit.dead_letter.purged` event that records this action. */
  auditEventId: string;
}

export class StartReplayRequest {
  /** Replay records whose Kafka timestamp is at or after this instant. */
  @INSTANT.required() from!: string;
  /** ... and before this one; up to the end of each partition as it was when the replay started when absent. */
  @INSTANT.optional() to?: string;
  /** Subset of the subscribed topics; all of them when absent. */
  @TOPICS.optional() topics?: string[];
}

export type ReplayStatus = 'running' | 'completed' | 'failed';

export interface ReplayProgress {
  replayId: string;
  status: ReplayStatus;
  from: string;
  to: string | null;
  topics: string[];
  /** Per partition: where the replay started and where it stops (exclusive), and how far it has read. */
  partitions: { topic: string; partition: number; startOffset: string; endOffset: string; nextOffset: string }[];
  /** Messages in the replayed ranges. */
  messages: number;
  read: number;
  /** Events that were missing from the store and are now stored. */
  stored: number;
  /** Events already stored (the unique eventId index absorbed them). */
  duplicates: number;
  deadLettered: number;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
  /** Who started it (the verified token's subject). */
  actorId: string;
}
