import { ChainBreakView } from '@taskflow/contracts';
import { ChainedEventLog, Checkpoint, checkpointIsAuthentic, recordHash } from './record-chain';

/** The first thing found wrong: a record (or a checkpoint) that was altered, inserted or removed. */
export type ChainBreak = ChainBreakView;

/**
 * Checks the records of one checkpointed segment, fed in ascending `seq` (several at one seq possible when the
 * unique index was dropped). Pure: `accept` each record, then `finish`; each answers the first break, if any.
 *
 * - A record whose stored `hash` is not `recordHash` of its content and link: altered.
 * - A link (`prevHash`) that does not match the predecessor's hash: one of the two was re-hashed after an edit.
 *   The successor decides: if the later record also fails its own successor's link, it is the altered one;
 *   otherwise the earlier one is.
 * - A missing seq: removed, unless the segment `mayHaveExpired` (TTL, see README "Tamper evidence").
 * - The last record's hash must be the checkpoint's `lastHash`; the first record's `prevHash` its `prevHash`.
 */
export class SegmentVerifier {
  private expected: number;
  /** Hash of the record at `expected - 1` when it was present (or the checkpoint's prevHash). */
  private previous: { hash: string; record?: ChainedEventLog } | undefined;
  /** A broken link between two present records, decided by the next link. */
  private suspect: { earlier: ChainedEventLog; later: ChainedEventLog } | undefined;
  checked = 0;
  missing = 0;

  constructor(
    private readonly checkpoint: Checkpoint,
    private readonly mayHaveExpired: boolean,
  ) {
    this.expected = checkpoint.firstSeq;
    this.previous = { hash: checkpoint.prevHash };
  }

  /** The checkpoint itself: its MAC (only AUDIT_CHECKPOINT_KEY can make one) and its seq range. */
  static checkCheckpoint(checkpoint: Checkpoint, key: Buffer): ChainBreak | undefined {
    if (checkpointIsAuthentic(checkpoint, key) && checkpoint.firstSeq <= checkpoint.lastSeq) return undefined;
    return {
      kind: 'altered',
      subject: 'checkpoint',
      chain: checkpoint.chain,
      seq: checkpoint.firstSeq,
      reason: 'checkpoint MAC does not match its content (or the key)',
    };
  }

  accept(record: ChainedEventLog): ChainBreak | undefined {
    const { seq } = record;
    if (seq < this.expected) {
      return this.blame('inserted', record, `a second record at seq ${seq}`);
    }
    if (seq > this.expected) {
      const gap = this.gap(seq - 1);
      if (gap) return gap;
    }
    if (recordHash(record, record) !== record.hash) {
      return this.blame('altered', record, 'hash does not match the record content');
    }
    const decided = this.decideSuspect(record.prevHash);
    if (decided) return decided;
    if (this.previous && record.prevHash !== this.previous.hash) {
      if (!this.previous.record) return this.blame('altered', record, 'prevHash is not the checkpoint prevHash');
      this.suspect = { earlier: this.previous.record, later: record };
    }
    if (seq === this.checkpoint.lastSeq && record.hash !== this.checkpoint.lastHash) {
      this.suspect = undefined;
      return this.blame('altered', record, 'hash is not the checkpoint lastHash');
    }
    this.previous = { hash: record.hash, record };
    this.expected = seq + 1;
    this.checked += 1;
    return undefined;
  }

  finish(): ChainBreak | undefined {
    if (this.expected <= this.checkpoint.lastSeq) {
      const gap = this.gap(this.checkpoint.lastSeq);
      if (gap) return gap;
    }
    return this.decideSuspect(undefined);
  }

  /** Seqs `expected..through` are missing: accepted only while the segment may have expired. */
  private gap(through: number): ChainBreak | undefined {
    const seq = this.expected;
    const decided = this.decideSuspect(undefined);
    if (decided) return decided;
    if (!this.mayHaveExpired) {
      return {
        kind: 'removed',
        subject: 'record',
        chain: this.checkpoint.chain,
        seq,
        reason: `seq ${seq}${through > seq ? `..${through}` : ''} missing before the segment could expire`,
      };
    }
    this.missing += through - seq + 1;
    this.expected = through + 1;
    this.previous = undefined;
    return undefined;
  }

  /**
   * Resolves a pending broken link with the link that follows the later record (`nextPrevHash`, or undefined when
   * the later record has no successor here): a later record that breaks both its links was the one re-hashed.
   */
  private decideSuspect(nextPrevHash: string | undefined): ChainBreak | undefined {
    const suspect = this.suspect;
    if (!suspect) return undefined;
    this.suspect = undefined;
    const laterAlsoBroken = nextPrevHash !== undefined && nextPrevHash !== suspect.later.hash;
    return laterAlsoBroken
      ? this.blame('altered', suspect.later, 'prevHash does not link to the previous record')
      : this.blame('altered', suspect.earlier, 'hash changed: the next record does not link to it');
  }

  private blame(kind: 'altered' | 'inserted', record: ChainedEventLog, reason: string): ChainBreak {
    return { kind, subject: 'record', chain: record.chain, seq: record.seq, eventId: record.eventId, reason };
  }
}

/**
 * Two checkpoints of one chain that follow each other by seq must touch: `next.firstSeq = prev.lastSeq + 1` and
 * `next.prevHash = prev.lastHash`. A hole means a whole segment (checkpoint and records) was removed.
 */
export function linkCheckpoints(
  prev: Pick<Checkpoint, 'chain' | 'lastSeq' | 'lastHash'>,
  next: Checkpoint,
): ChainBreak | undefined {
  if (next.firstSeq > prev.lastSeq + 1) {
    return {
      kind: 'removed',
      subject: 'checkpoint',
      chain: prev.chain,
      seq: prev.lastSeq + 1,
      reason: `no checkpoint covers seq ${prev.lastSeq + 1}..${next.firstSeq - 1}`,
    };
  }
  if (next.firstSeq <= prev.lastSeq || next.prevHash !== prev.lastHash) {
    return {
      kind: 'inserted',
      subject: 'checkpoint',
      chain: next.chain,
      seq: next.firstSeq,
      reason: 'checkpoint overlaps or does not link to the previous one',
    };
  }
  return undefined;
}
