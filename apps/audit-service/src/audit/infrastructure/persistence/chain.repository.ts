import { Inject, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo } from 'mongoose';
import type { Logger } from 'pino';
import { AuditConfig } from '../../../config/audit.config';
import { EventLog } from '../../domain/event-log';
import {
  ChainedEventLog,
  ChainHead,
  Checkpoint,
  EMPTY_HEAD,
  IN_FLIGHT_MS,
  recordHash,
  segmentsOf,
  signCheckpoint,
  summarise,
} from '../../domain/record-chain';
import { AUDIT_CONFIG, LOGGER } from '../../tokens';
import { AUDIT_CHECKPOINTS, EVENT_LOG_MODEL } from './event-log.schema';

/** Most records a crashed chunk can have left unsealed (AUDIT_BATCH_SIZE's upper bound). */
const MAX_UNSEALED = 50_000;
const HIDE_ID = { _id: 0 } as const;

type CheckpointDoc = Checkpoint & { _id: string };

/**
 * A chain cannot take records right now (another writer's records are in flight, or its head kept moving): a
 * storage condition, so the transport retries the chunk with backoff (see `isStorageFailure`).
 */
export class ChainNotSettledError extends Error {
  override readonly name = 'ChainNotSettledError';
}
type WrittenRecord = Pick<ChainedEventLog, 'eventId' | 'chain' | 'seq' | 'updatedAt'>;

/**
 * The chains' heads and checkpoints (`audit_checkpoints`, no TTL). The ingest owns a partition's chains while
 * Kafka assigns it the partition, so heads are cached in memory; a stale head (another consumer wrote meanwhile)
 * is caught by the unique (chain, seq) index, and `forget` makes the next call reload it.
 * Reads for the verification stream in seq order with cursors.
 */
@Injectable()
export class ChainRepository {
  private readonly heads = new Map<string, ChainHead>();
  private readonly key: Buffer;

  constructor(
    @InjectModel(EVENT_LOG_MODEL) private readonly model: Model<EventLog>,
    @Inject(AUDIT_CONFIG) config: Pick<AuditConfig, 'chain'>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.key = config.chain.checkpointKey;
  }

  private get checkpoints() {
    return this.model.db.collection<CheckpointDoc>(AUDIT_CHECKPOINTS);
  }

  /** The current head of each chain, loading (and sealing what a crash left unsealed) those not cached. */
  async headsOf(chains: Iterable<string>): Promise<Map<string, ChainHead>> {
    const result = new Map<string, ChainHead>();
    for (const chain of new Set(chains)) {
      let head = this.heads.get(chain);
      if (!head) {
        head = await this.recover(chain);
        this.heads.set(chain, head);
      }
      result.set(chain, head);
    }
    return result;
  }

  /** Records stored and sealed: their heads become the cached ones. */
  advance(heads: ReadonlyMap<string, ChainHead>): void {
    for (const [chain, head] of heads) this.heads.set(chain, head);
  }

  /** Drops cached heads (all without argument): after a failed write or a rebalance they are reloaded. */
  forget(chains?: Iterable<string>): void {
    if (!chains) return this.heads.clear();
    for (const chain of chains) this.heads.delete(chain);
  }

  /**
   * Writes one signed checkpoint per run of consecutive records of a chain (one bulk write). Idempotent: a
   * checkpoint's `_id` is `chain|firstSeq` and it is only inserted, so a retried chunk or a recovery that sealed the
   * same records first leaves it as it was.
   */
  async seal(records: ChainedEventLog[]): Promise<void> {
    const ops: mongo.AnyBulkWriteOperation<CheckpointDoc>[] = segmentsOf(records).map((run) => {
      const sealedAt = new Date(Math.max(...run.map((record) => record.updatedAt.getTime())));
      const checkpoint = signCheckpoint(summarise(run, sealedAt), this.key);
      const _id = `${checkpoint.chain}|${checkpoint.firstSeq}`;
      return { updateOne: { filter: { _id }, update: { $setOnInsert: checkpoint }, upsert: true } };
    });
    if (ops.length > 0) await this.checkpoints.bulkWrite(ops, { ordered: false });
  }

  /**
   * The head after the last checkpoint, plus any records stored after it. Those were left by a crash between the
   * insert and the checkpoint write, or are another consumer's chunk mid-write during a rebalance. While the newest
   * of them is younger than IN_FLIGHT_MS their writer may still seal them: ChainNotSettledError (retryable). Older
   * ones are sealed now if they link correctly; if not they are left unsealed (verification reports them) and logged,
   * and the chain goes on after them.
   */
  private async recover(chain: string): Promise<ChainHead> {
    const last = await this.checkpoints.findOne({ chain }, { sort: { firstSeq: -1 }, projection: HIDE_ID });
    const sealed = last ? { seq: last.lastSeq, hash: last.lastHash } : EMPTY_HEAD;
    const after = (await this.model.collection
      .find({ chain, seq: { $gt: sealed.seq } }, { projection: HIDE_ID, sort: { seq: 1 }, limit: MAX_UNSEALED })
      .toArray()) as unknown as ChainedEventLog[];
    if (after.length === 0) return sealed;
    const newest = Math.max(...after.map((record) => record.updatedAt.getTime()));
    if (Date.now() - newest < IN_FLIGHT_MS) {
      throw new ChainNotSettledError(`chain ${chain}: ${after.length} records after the last checkpoint are in flight`);
    }
    let head = sealed;
    const intact = after.every((record) => {
      const links =
        record.seq === head.seq + 1 && record.prevHash === head.hash && recordHash(record, record) === record.hash;
      head = { seq: record.seq, hash: record.hash };
      return links;
    });
    if (intact) await this.seal(after);
    else
      this.logger.error({ chain, after: sealed.seq }, 'records after the last checkpoint do not link: left unsealed');
    return head;
  }

  // --- reads for the verification ---

  /** Chains with a checkpoint sealed in [from, to). */
  async chainsSealedBetween(from: Date, to: Date): Promise<string[]> {
    const chains = (await this.checkpoints.distinct('chain', { sealedAt: { $gte: from, $lt: to } })) as string[];
    return chains.sort();
  }

  /** The seq window of a chain's checkpoints sealed in [from, to) (first and last by sealedAt). */
  async windowOf(chain: string, from: Date, to: Date): Promise<{ firstSeq: number; lastSeq: number } | undefined> {
    const filter = { chain, sealedAt: { $gte: from, $lt: to } };
    const [earliest, latest] = await Promise.all([
      this.checkpoints.findOne(filter, { sort: { sealedAt: 1, firstSeq: 1 }, projection: HIDE_ID }),
      this.checkpoints.findOne(filter, { sort: { sealedAt: -1, firstSeq: -1 }, projection: HIDE_ID }),
    ]);
    if (!earliest || !latest) return undefined;
    return {
      firstSeq: Math.min(earliest.firstSeq, latest.firstSeq),
      lastSeq: Math.max(earliest.lastSeq, latest.lastSeq),
    };
  }

  /** Every checkpoint of `chain` starting in [firstSeq, lastSeq], ascending. */
  checkpointsIn(chain: string, firstSeq: number, lastSeq: number): AsyncIterable<Checkpoint> {
    return this.checkpoints.find(
      { chain, firstSeq: { $gte: firstSeq, $lte: lastSeq } },
      { sort: { firstSeq: 1 }, projection: HIDE_ID, batchSize: 500 },
    ) as unknown as AsyncIterable<Checkpoint>;
  }

  /** The checkpoint of `chain` whose range contains `seq` (the latest starting at or before it). */
  async checkpointCovering(chain: string, seq: number): Promise<Checkpoint | null> {
    const checkpoint = await this.checkpoints.findOne(
      { chain, firstSeq: { $lte: seq } },
      { sort: { firstSeq: -1 }, projection: HIDE_ID },
    );
    return checkpoint && checkpoint.lastSeq >= seq ? checkpoint : null;
  }

  /** The checkpoint of `chain` that starts right at `firstSeq`, if any. */
  checkpointStartingAt(chain: string, firstSeq: number): Promise<Checkpoint | null> {
    return this.checkpoints.findOne({ chain, firstSeq }, { projection: HIDE_ID });
  }

  /** Records of `chain` with seq in [firstSeq, lastSeq], ascending. */
  recordsIn(chain: string, firstSeq: number, lastSeq: number): AsyncIterable<ChainedEventLog> {
    return this.model.collection.find(
      { chain, seq: { $gte: firstSeq, $lte: lastSeq } },
      { sort: { seq: 1 }, projection: HIDE_ID, batchSize: 1000 },
    ) as unknown as AsyncIterable<ChainedEventLog>;
  }

  /** The first record of `chain` after `seq` (one a checkpoint does not cover when `seq` is the last sealed one). */
  async recordAfter(chain: string, seq: number): Promise<ChainedEventLog | null> {
    return (await this.model.collection.findOne(
      { chain, seq: { $gt: seq } },
      { sort: { seq: 1 }, projection: HIDE_ID },
    )) as unknown as ChainedEventLog | null;
  }

  /** What identifies each record written (`updatedAt`) in [from, to): its eventId and place in a chain, if any. */
  recordsWrittenBetween(from: Date, to: Date): AsyncIterable<WrittenRecord> {
    return this.model.collection.find(
      { updatedAt: { $gte: from, $lt: to } },
      { projection: { _id: 0, eventId: 1, chain: 1, seq: 1, updatedAt: 1 }, batchSize: 1000 },
    ) as unknown as AsyncIterable<WrittenRecord>;
  }
}
