import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { defineField, IsDateTime } from '../fields/rules';

/**
 * `GET /api/v1/audit/verify?from&to` (audit-service; roles admin and auditor): proves that what the audit store
 * ingested in [from, to) is intact, or names the first record that was altered, inserted or removed.
 * Each stored event is linked into a SHA-256 hash chain per (topic, partition, event type) and every stored segment
 * is sealed by an HMAC-signed checkpoint (apps/audit-service/README.md "Tamper evidence").
 */

/** What a broken record is: content or link changed, a record no checkpoint covers, a record missing before it could expire. */
export const CHAIN_BREAK_KINDS = ['altered', 'inserted', 'removed'] as const;
export type ChainBreakKind = (typeof CHAIN_BREAK_KINDS)[number];
/** What broke: a stored record, or a checkpoint that seals a segment of records. */
export const CHAIN_BREAK_SUBJECTS = ['record', 'checkpoint'] as const;
export type ChainBreakSubject = (typeof CHAIN_BREAK_SUBJECTS)[number];

const RANGE_BOUND = defineField(false, IsDateTime);

/**
 * The range, by ingest time (a record's `updatedAt`, a checkpoint's `sealedAt`), as [from, to): RFC 3339
 * date-times with an offset. `from` defaults to the beginning, `to` to now.
 */
export class VerifyRangeQuery {
  @RANGE_BOUND.optional() from?: string;
  @RANGE_BOUND.optional() to?: string;
}

/** The first break found (chains in name order, then ascending seq; then records outside any chain). */
export class ChainBreakView {
  @ApiProperty({
    enum: CHAIN_BREAK_KINDS,
    description:
      'altered: content or link changed; inserted: a record no checkpoint covers; removed: a record missing ' +
      'before it could expire.',
  })
  kind!: ChainBreakKind;
  @ApiProperty({
    enum: CHAIN_BREAK_SUBJECTS,
    description: '`checkpoint` when a checkpoint itself was altered, inserted or removed.',
  })
  subject!: ChainBreakSubject;
  @ApiPropertyOptional({
    example: 'taskflow.task.events.v1/0/task.created',
    description: '`{topic}/{partition}/{type}`; absent for a record that carries no chain.',
  })
  chain?: string;
  @ApiPropertyOptional({
    type: 'integer',
    description: 'Position in the chain; absent for a record that carries none.',
  })
  seq?: number;
  @ApiPropertyOptional({
    description: "The record's eventId (as stored: a forged record's can be any string); absent when it is gone.",
  })
  eventId?: string;
  @ApiProperty({ example: 'hash does not match the record content', description: 'Human-readable detail.' })
  reason!: string;
}

/** One chain's part of the range. */
export class ChainSummaryView {
  @ApiProperty({ example: 'taskflow.task.events.v1/0/task.created', description: '`{topic}/{partition}/{type}`.' })
  chain!: string;
  @ApiProperty({ type: 'integer', minimum: 1, description: 'First position of the chain in the range.' })
  firstSeq!: number;
  @ApiProperty({ type: 'integer', minimum: 1, description: 'Last position of the chain in the range.' })
  lastSeq!: number;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Records present and verified (hash and links).' })
  checked!: number;
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Seqs missing from segments whose records may have expired (TTL): accepted, not a break.',
  })
  expired!: number;
}

/** The answer (200 either way: the verification ran); `firstBreak` is present exactly when `intact` is false. */
export class VerifyReport {
  @ApiProperty({ description: 'True when every record and checkpoint in the range verified.' }) intact!: boolean;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Records verified over all chains.' }) checked!: number;
  @ApiProperty({ type: () => ChainSummaryView, isArray: true, description: 'Each chain with records in the range.' })
  chains!: ChainSummaryView[];
  @ApiPropertyOptional({
    type: () => ChainBreakView,
    description: 'The first break; present exactly when `intact` is false.',
  })
  firstBreak?: ChainBreakView;
}
