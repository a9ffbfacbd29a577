import { ChainSummaryView, VerifyReport } from '@taskflow/contracts';
import { ChainBreak, linkCheckpoints, SegmentVerifier } from '../domain/chain-verifier';
import { ChainedEventLog, Checkpoint, GENESIS_HASH, IN_FLIGHT_MS } from '../domain/record-chain';
import { RetentionPolicy } from '../domain/retention-policy';

/** What the verification reads (ChainRepository); every stream is ascending by seq. */
export interface ChainReader {
  chainsSealedBetween(from: Date, to: Date): Promise<string[]>;
  windowOf(chain: string, from: Date, to: Date): Promise<{ firstSeq: number; lastSeq: number } | undefined>;
  checkpointsIn(chain: string, firstSeq: number, lastSeq: number): AsyncIterable<Checkpoint>;
  checkpointCovering(chain: string, seq: number): Promise<Checkpoint | null>;
  checkpointStartingAt(chain: string, firstSeq: number): Promise<Checkpoint | null>;
  recordsIn(chain: string, firstSeq: number, lastSeq: number): AsyncIterable<ChainedEventLog>;
  recordAfter(chain: string, seq: number): Promise<ChainedEventLog | null>;
  recordsWrittenBetween(
    from: Date,
    to: Date,
  ): AsyncIterable<Pick<ChainedEventLog, 'eventId' | 'chain' | 'seq' | 'updatedAt'>>;
}

/** Where a chain starts: the first checkpoint must begin at seq 1 and link to GENESIS_HASH. */
const GENESIS = { lastSeq: 0, lastHash: GENESIS_HASH };

export type ChainSummary = ChainSummaryView;
export type VerificationResult = VerifyReport;

export interface VerifyOptions {
  key: Buffer;
  policy: RetentionPolicy;
  /** The instant expiry is judged at (default: now). */
  now?: Date;
}

/**
 * Verifies what was stored (sealed) in [from, to): every chain's checkpoints in that window (MAC, continuity with
 * the neighbouring checkpoints), every record in them (hash, links, no hole unless the segment may have expired),
 * nothing stored after a chain's last checkpoint, and every record written in the range belongs to a checkpoint.
 * Streams with cursors: memory holds one segment's state per chain, not the range. Stops at the first break.
 */
export async function verifyChains(
  reader: ChainReader,
  from: Date,
  to: Date,
  { key, policy, now = new Date() }: VerifyOptions,
): Promise<VerificationResult> {
  const chains: ChainSummary[] = [];
  const result = (firstBreak?: ChainBreak): VerificationResult => ({
    intact: !firstBreak,
    checked: chains.reduce((sum, chain) => sum + chain.checked, 0),
    chains,
    ...(firstBreak && { firstBreak }),
  });
  const covered = new Map<string, { firstSeq: number; lastSeq: number }>();
  for (const chain of await reader.chainsSealedBetween(from, to)) {
    const window = await reader.windowOf(chain, from, to);
    if (!window) continue;
    const summary: ChainSummary = { chain, ...window, checked: 0, expired: 0 };
    chains.push(summary);
    covered.set(chain, window);
    const broken = await verifyWindow(reader, chain, window, summary, { key, policy, now });
    if (broken) return result(broken);
  }
  for await (const record of reader.recordsWrittenBetween(from, to)) {
    const window = record.chain === undefined ? undefined : covered.get(record.chain);
    if (window && record.seq >= window.firstSeq && record.seq <= window.lastSeq) continue;
    if (inFlight(record, now)) continue;
    // Sealed in a segment of another window (a crash recovery seals later), else in no chain at all.
    const home =
      typeof record.chain === 'string' && typeof record.seq === 'number'
        ? await reader.checkpointCovering(record.chain, record.seq)
        : null;
    if (!home) {
      return result({
        kind: 'inserted',
        subject: 'record',
        ...(typeof record.chain === 'string' && { chain: record.chain }),
        ...(typeof record.seq === 'number' && { seq: record.seq }),
        eventId: record.eventId,
        reason: 'record is covered by no checkpoint',
      });
    }
  }
  return result();
}

async function verifyWindow(
  reader: ChainReader,
  chain: string,
  window: { firstSeq: number; lastSeq: number },
  summary: ChainSummary,
  { key, policy, now }: Required<VerifyOptions>,
): Promise<ChainBreak | undefined> {
  let previous = window.firstSeq > 1 ? await reader.checkpointCovering(chain, window.firstSeq - 1) : null;
  if (window.firstSeq > 1 && !previous) {
    return {
      kind: 'removed',
      subject: 'checkpoint',
      chain,
      seq: window.firstSeq - 1,
      reason: 'the checkpoint before the range is missing',
    };
  }
  const records = reader.recordsIn(chain, window.firstSeq, window.lastSeq)[Symbol.asyncIterator]();
  let pending = await records.next();
  for await (const checkpoint of reader.checkpointsIn(chain, window.firstSeq, window.lastSeq)) {
    const broken =
      SegmentVerifier.checkCheckpoint(checkpoint, key) ??
      linkCheckpoints(previous ?? { ...GENESIS, chain }, checkpoint);
    if (broken) return broken;
    const segment = new SegmentVerifier(checkpoint, mayHaveExpired(checkpoint, policy, now));
    for (; !pending.done && pending.value.seq <= checkpoint.lastSeq; pending = await records.next()) {
      const found =
        pending.value.seq < checkpoint.firstSeq
          ? {
              kind: 'inserted' as const,
              subject: 'record' as const,
              chain,
              seq: pending.value.seq,
              eventId: pending.value.eventId,
              reason: 'record is covered by no checkpoint',
            }
          : segment.accept(pending.value);
      if (found) return found;
    }
    const end = segment.finish();
    if (end) return end;
    summary.checked += segment.checked;
    summary.expired += segment.missing;
    previous = checkpoint;
  }
  if (!pending.done) {
    const { seq, eventId } = pending.value;
    return { kind: 'inserted', subject: 'record', chain, seq, eventId, reason: 'record is covered by no checkpoint' };
  }
  if (!previous || previous.lastSeq < window.lastSeq) {
    const seq = previous ? previous.lastSeq + 1 : window.firstSeq;
    return { kind: 'removed', subject: 'checkpoint', chain, seq, reason: 'a checkpoint inside the range is missing' };
  }
  // The last checkpoint of the window: either another follows it, or nothing may be stored after it.
  if (!(await reader.checkpointStartingAt(chain, previous.lastSeq + 1))) {
    const stray = await reader.recordAfter(chain, previous.lastSeq);
    if (stray && !inFlight(stray, now)) {
      return {
        kind: 'inserted',
        subject: 'record',
        chain,
        seq: stray.seq,
        eventId: stray.eventId,
        reason: 'record after the last checkpoint of its chain',
      };
    }
  }
  return undefined;
}

/** Written (by its own account) within IN_FLIGHT_MS before `now`: its checkpoint may not be written yet. */
function inFlight(record: Pick<ChainedEventLog, 'updatedAt'>, now: Date): boolean {
  const age = now.getTime() - (record.updatedAt instanceof Date ? record.updatedAt.getTime() : Number.NaN);
  return age >= 0 && age <= IN_FLIGHT_MS;
}

/**
 * Whether records of the segment may be gone by TTL at `now`: from the earliest `expiresAt` stamped at ingest, or
 * earlier if the retention policy now in force (a re-stamp may have shortened it) expires its oldest record first.
 * Legal holds only keep records longer, so they never make a missing record acceptable.
 */
export function mayHaveExpired(checkpoint: Checkpoint, policy: RetentionPolicy, now: Date): boolean {
  let earliest = checkpoint.minExpiresAt.getTime();
  try {
    earliest = Math.min(earliest, policy.expiresAt(checkpoint.type, checkpoint.minCreatedAt).getTime());
  } catch {
    // A type the policy no longer knows: the stamp at ingest decides.
  }
  return now.getTime() >= earliest;
}
