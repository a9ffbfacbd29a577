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
  kind!: ChainBreakKind;
  /** `checkpoint` when a checkpoint itself was altered, inserted or removed. */
  subject!: 'record' | 'checkpoint';
  /** `${topic}/${partition}/${type}`; absent for a record that carries no chain. */
  chain?: string;
  /** Position in the chain; absent for a record that carries none. */
  seq?: number;
  /** The record's eventId; absent when the record is gone (removed). */
  eventId?: string;
  /** Human-readable detail, e.g. "hash does not match the record content". */
  reason!: string;
}

/** One chain's part of the range. */
export class ChainSummaryView {
  chain!: string;
  firstSeq!: number;
  lastSeq!: number;
  /** Records present and verified (hash and links). */
  checked!: number;
  /** Seqs missing from segments whose records may have expired (TTL): accepted, not a break. */
  expired!: number;
}

/** The answer (200 either way: the verification ran); `firstBreak` is present exactly when `intact` is false. */
export class VerifyReport {
  intact!: boolean;
  /** Records verified over all chains. */
  checked!: number;
  chains!: ChainSummaryView[];
  firstBreak?: ChainBreakView;
}
