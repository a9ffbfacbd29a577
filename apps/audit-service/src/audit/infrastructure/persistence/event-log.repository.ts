import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo, QueryFilter } from 'mongoose';
import { Cursor, EventFilter, EventLogCursor, PageRequest } from '@taskflow/contracts';
import { EventStore, Page, TypeImpact } from '../../application/ports';
import { EventLog } from '../../domain/event-log';
import { ChainedEventLog, chainedContent, ChainHead, sealRecords } from '../../domain/record-chain';
import { RetentionPolicy } from '../../domain/retention-policy';
import { addImpact, countChange, emptyImpact, RetentionImpact } from '../../domain/retention-impact';
import { BUCKET_MS, TimeBucket, WEEK_ORIGIN_MS } from '../../domain/time-bucket';
import { AuditConfig } from '../../../config/audit.config';
import { AUDIT_CONFIG } from '../../tokens';
import { ChainNotSettledError, ChainRepository } from './chain.repository';
import { EVENT_LOG_CONFLICTS, EVENT_LOG_MODEL } from './event-log.schema';

const DUPLICATE_KEY = 11000;
/** The unique (chain, seq) index of migration 6: a taken seq means a stale chain head. */
const CHAIN_SEQ_INDEX = 'chain_seq_unique';
const MAX_RESEALS = 5;
const HIDE_ID = { _id: 0 } as const;
const TRAIL_CAP = 1000;

export interface InsertResult {
  inserted: number;
  /** Redeliveries: the eventId is stored with the same content. */
  duplicates: number;
  /** The eventId is stored with other content; both are kept in `event_log_conflicts`. */
  conflicts: number;
  /** Documents MongoDB refused for a reason other than a duplicate key (dead-lettered by the caller). */
  rejected: { index: number; reason: string }[];
}

/**
 * True when an insert failed because of MongoDB or the way to it (network, no primary, timeout) or a chain that
 * is not settled (another writer's records in flight): worth retrying. Anything else (e.g. the driver could not serialise a document) is about the documents.
 */
export function isStorageFailure(error: unknown): boolean {
  return error instanceof mongo.MongoError || error instanceof ChainNotSettledError;
}

/**
 * event_logs through the mongoose model. Queries go through the model (lean, so no documents are hydrated);
 * the ingest writes through the model's native collection, because `Model.insertMany` casts and validates
 * every document (~30x slower) and the envelopes are already validated against their contract.
 * Every query has a server-side deadline (`maxTimeMS`, MONGO_QUERY_TIMEOUT_MS); the streaming export and the
 * re-stamp run as long as their range needs, each batch bounded by the socket timeout.
 */
@Injectable()
export class EventLogRepository implements EventStore {
  private readonly maxTimeMS: number;

  constructor(
    @InjectModel(EVENT_LOG_MODEL) private readonly model: Model<EventLog>,
    @Inject(AUDIT_CONFIG) config: AuditConfig,
    private readonly chains: ChainRepository,
  ) {
    this.maxTimeMS = config.mongo.queryTimeoutMs;
  }

  /**
   * Stores `docs` (one partition's chunk, in offset order), each linked into its hash chain (`chainOfDoc`) and
   * sealed by signed checkpoints: one ordered insert and one checkpoint bulk write per chunk when nothing goes wrong;
   * a redelivered chunk costs one read more (which of its eventIds are stored already).
   *
   * The insert is ordered so what is stored is always a prefix of the sealed sequence: a chain never gets a hole.
   * A repeated `eventId` (a redelivery, or the same id twice in the chunk) gets no second seq: it is compared with
   * the stored event, a redelivery when the content is the same, else a conflict kept in `event_log_conflicts` (once
   * per variant), never dropped silently. A taken (chain, seq) means another consumer wrote the chain meanwhile (a
   * rebalance): its head is reloaded and the rest resealed, at most MAX_RESEALS times before throwing (the transport
   * then retries the chunk). Anything else MongoDB refuses for one document is `rejected`. Failures that are not
   * per-document (network, no primary, a document the driver cannot serialise) throw, with the cached heads of the
   * chunk's chains dropped so the retry starts from what is stored.
   */
  async insertBatch(docs: EventLog[], chainOfDoc: (doc: EventLog) => string): Promise<InsertResult> {
    const chains = new Set(docs.map(chainOfDoc));
    try {
      return await this.insertChained(docs, chainOfDoc);
    } catch (error) {
      this.chains.forget(chains);
      throw error;
    }
  }

  private async insertChained(docs: EventLog[], chainOfDoc: (doc: EventLog) => string): Promise<InsertResult> {
    const repeated: EventLog[] = [];
    const rejected: InsertResult['rejected'] = [];
    let pending = docs.map((doc, index) => ({ doc, index }));
    // Every chain of the chunk, also when all of it is stored already: a retried chunk whose checkpoint write
    // failed reloads (and so seals) its chains here.
    await this.chains.headsOf(docs.map(chainOfDoc));
    const written: ChainedEventLog[] = [];
    let lookedUp = false;
    for (let reseals = 0; pending.length > 0;) {
      const heads = await this.chains.headsOf(pending.map(({ doc }) => chainOfDoc(doc)));
      const { sealed } = sealRecords(
        pending.map(({ doc }) => doc),
        chainOfDoc,
        heads,
      );
      const failure = await this.insertOrdered(sealed);
      const count = failure ? failure.index : sealed.length;
      written.push(...sealed.slice(0, count));
      this.chains.advance(headsAfter(sealed.slice(0, count)));
      if (!failure) break;
      const { doc, index } = pending[count];
      if (failure.code === DUPLICATE_KEY && failure.message.includes(CHAIN_SEQ_INDEX)) {
        if (++reseals > MAX_RESEALS) {
          throw new ChainNotSettledError(`chain ${chainOfDoc(doc)}: seq taken ${reseals} times in a row`);
        }
        this.chains.forget([chainOfDoc(doc)]);
        pending = pending.slice(count);
      } else if (failure.code === DUPLICATE_KEY && !lookedUp) {
        // A redelivery: set aside, with one read, every event of the rest that is stored already, so the insert does
        // not stop at each of them.
        lookedUp = true;
        const stored = await this.storedIds(pending.slice(count).map((p) => p.doc.eventId));
        const [again, fresh] = partition(pending.slice(count), (p) => stored.has(p.doc.eventId));
        repeated.push(...again.map((p) => p.doc));
        pending = fresh;
      } else {
        if (failure.code === DUPLICATE_KEY) repeated.push(doc);
        else rejected.push({ index, reason: `MongoDB ${failure.code}: ${failure.message}` });
        pending = pending.slice(count + 1);
      }
    }
    await this.chains.seal(written);
    const conflicts = await this.recordConflicts(repeated);
    return { inserted: written.length, duplicates: repeated.length - conflicts, conflicts, rejected };
  }

  /** Which of `eventIds` are stored. */
  private async storedIds(eventIds: string[]): Promise<Set<string>> {
    const stored = await this.model.collection
      .find({ eventId: { $in: eventIds } }, { projection: { _id: 0, eventId: 1 } })
      .toArray();
    return new Set(stored.map((doc) => doc.eventId as string));
  }

  /** One ordered insert; answers the first per-document failure (all before it were stored), else undefined. */
  private async insertOrdered(
    sealed: ChainedEventLog[],
  ): Promise<{ index: number; code: number | string | undefined; message: string } | undefined> {
    try {
      // The driver adds _id to the objects it is given; copies keep a retried batch free of stale ids.
      await this.model.collection.insertMany(
        sealed.map((doc) => ({ ...doc })),
        { ordered: true },
      );
      return undefined;
    } catch (error) {
      // mongoose's own copy of the driver threw this, so its error class comes from mongoose's `mongo` export.
      if (!(error instanceof mongo.MongoBulkWriteError) || !error.writeErrors) throw error;
      const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
      if (writeErrors.length === 0) throw error;
      // Ordered: the first error is where the insert stopped (counted from it, not from the reply's insertedCount,
      // which the stand-in server misreports).
      const first = writeErrors.reduce((a, b) => (b.index < a.index ? b : a));
      return { index: first.index, code: first.code, message: first.errmsg ?? 'rejected' };
    }
  }

  /** Compares each repeated event with the stored one; keeps both contents of those that differ. Returns how many. */
  private async recordConflicts(repeated: EventLog[]): Promise<number> {
    if (repeated.length === 0) return 0;
    const stored = await this.model.collection
      .find({ eventId: { $in: repeated.map((doc) => doc.eventId) } }, { projection: { _id: 0 } })
      .toArray();
    const byId = new Map(stored.map((doc) => [doc.eventId as string, doc as unknown as EventLog]));
    const detectedAt = new Date();
    const ops: mongo.AnyBulkWriteOperation[] = [];
    for (const received of repeated) {
      const existing = byId.get(received.eventId);
      // Gone since (TTL) or not visible: nothing to compare with, the insert error says it was there.
      if (!existing) continue;
      const [storedContent, receivedContent] = [eventContent(existing), eventContent(received)];
      if (canonicalJson(storedContent) === canonicalJson(receivedContent)) continue;
      const receivedSha256 = createHash('sha256').update(canonicalJson(receivedContent)).digest('hex');
      ops.push({
        updateOne: {
          filter: { eventId: received.eventId, receivedSha256 },
          update: {
            $setOnInsert: {
              eventId: received.eventId,
              receivedSha256,
              stored: storedContent,
              received: receivedContent,
              detectedAt,
            },
          },
          upsert: true,
        },
      });
    }
    if (ops.length > 0) await this.model.db.collection(EVENT_LOG_CONFLICTS).bulkWrite(ops, { ordered: false });
    return ops.length;
  }

  /** Newest first; the cursor is the (createdAt, eventId) of the last item, so new arrivals never shift pages. */
  async findPage(filter: EventFilter, page: PageRequest, now = new Date()): Promise<Page> {
    const items = await this.model
      .find(toQuery(filter, now, page.cursor), HIDE_ID)
      .sort({ createdAt: -1, eventId: -1 })
      .limit(page.limit + 1)
      .maxTimeMS(this.maxTimeMS)
      .lean<EventLog[]>();
    const more = items.length > page.limit;
    const pageItems = items.slice(0, page.limit);
    const last = pageItems.at(-1);
    return { items: pageItems, nextCursor: more && last ? EventLogCursor.encode(last) : null };
  }

  /** One request's trail, oldest first. */
  findTrail(correlationId: string, now = new Date()): Promise<EventLog[]> {
    return this.model
      .find(toQuery({ correlationId }, now), HIDE_ID)
      .sort({ createdAt: 1, eventId: 1 })
      .limit(TRAIL_CAP)
      .maxTimeMS(this.maxTimeMS)
      .lean<EventLog[]>()
      .exec();
  }

  /**
   * Every visible event of one entity, oldest first, at most `cap` (the caller reports a history that reached
   * the cap as incomplete).
   */
  findEntityEvents(entityType: string, entityId: string, cap: number, now = new Date()): Promise<EventLog[]> {
    return this.model
      .find(toQuery({ entityType, entityId }, now), HIDE_ID)
      .sort({ createdAt: 1, eventId: 1 })
      .limit(cap)
      .maxTimeMS(this.maxTimeMS)
      .lean<EventLog[]>()
      .exec();
  }

  /** A cursor for streaming exports; documents are pulled in driver batches as the client reads. */
  streamAll(filter: EventFilter, limit?: number, now = new Date()): AsyncIterable<EventLog> {
    const query = this.model.find(toQuery(filter, now), HIDE_ID).sort({ createdAt: -1, eventId: -1 });
    if (limit !== undefined) query.limit(limit);
    return query.batchSize(500).lean<EventLog[]>().cursor();
  }

  countBy(field: 'type' | 'actorId', filter: EventFilter, limit: number, now = new Date()) {
    return this.model
      .aggregate<{ key: string; count: number }>([
        { $match: toQuery(filter, now) },
        { $group: { _id: `$${field}`, count: { $sum: 1 } } },
        { $sort: { count: -1, _id: 1 } },
        { $limit: limit },
        { $project: { _id: 0, key: '$_id', count: 1 } },
      ])
      .option({ maxTimeMS: this.maxTimeMS })
      .exec();
  }

  /**
   * Counts per UTC bucket with epoch arithmetic ($dateTrunc is missing on the stand-in server):
   * bucketStart = createdAt - ((createdAt - origin) mod size), the same as domain `bucketStart`.
   */
  countByBucket(bucket: TimeBucket, filter: EventFilter, now = new Date()) {
    const origin = new Date(bucket === 'week' ? WEEK_ORIGIN_MS : 0);
    return this.model
      .aggregate<{ bucket: Date; count: number }>([
        { $match: toQuery(filter, now) },
        {
          $group: {
            _id: { $subtract: ['$createdAt', { $mod: [{ $subtract: ['$createdAt', origin] }, BUCKET_MS[bucket]] }] },
            count: { $sum: 1 },
          },
        },
        { $sort: { _id: 1 } },
        { $project: { _id: 0, bucket: '$_id', count: 1 } },
      ])
      .option({ maxTimeMS: this.maxTimeMS })
      .exec();
  }

  /**
   * Applies `policy` to the stored events (after AUDIT_RETENTION_JSON changed) and counts what it changes, per
   * event type; with `dryRun` it only counts, so a dry run and the real change walk the same records the same way.
   * A held record keeps no `expiresAt`: only its set-aside `retentionExpiresAt` is re-stamped (it still does not
   * expire). Each write is conditional on the record's hold state, so a hold placed meanwhile is never undone.
   * Computed client-side in bulk batches because the stand-in server lacks pipeline updates.
   */
  async restamp(
    policy: RetentionPolicy,
    { dryRun, now = new Date() }: { dryRun: boolean; now?: Date },
  ): Promise<{ updated: number; affected: RetentionImpact; byType: TypeImpact[] }> {
    let updated = 0;
    const affected = emptyImpact();
    const byType: TypeImpact[] = [];
    for (const [type, days] of policy.entries()) {
      const impact = emptyImpact();
      let ops: mongo.AnyBulkWriteOperation[] = [];
      const flush = async () => {
        if (ops.length === 0) return;
        const result = await this.model.collection.bulkWrite(ops, { ordered: false });
        updated += result.modifiedCount;
        ops = [];
      };
      const cursor = this.model
        .find({ type }, { _id: 1, createdAt: 1, expiresAt: 1, retentionExpiresAt: 1 })
        // Bounded batches: without batchSize the stand-in answers with every match at once.
        .batchSize(1000)
        .lean<(Pick<EventLog, 'createdAt' | 'expiresAt' | 'retentionExpiresAt'> & { _id: mongo.ObjectId })[]>()
        .cursor();
      for await (const doc of cursor) {
        const held = doc.expiresAt === undefined;
        const next = policy.expiresAt(type, doc.createdAt);
        const changed = countChange(impact, held ? doc.retentionExpiresAt : doc.expiresAt, next, held, now);
        if (dryRun || !changed) continue;
        ops.push({
          updateOne: held
            ? {
                filter: { _id: doc._id, expiresAt: { $exists: false } },
                update: { $set: { retentionExpiresAt: next } },
              }
            : { filter: { _id: doc._id, expiresAt: { $exists: true } }, update: { $set: { expiresAt: next } } },
        });
        if (ops.length >= 1000) await flush();
      }
      await flush();
      addImpact(affected, impact);
      if (impact.earlier + impact.later + impact.held > 0) {
        byType.push({ type, days, ...impact });
      }
    }
    return { updated, affected, byType };
  }
}

function partition<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}

/** Each chain's last record among `sealed` (ascending per chain). */
function headsAfter(sealed: ChainedEventLog[]): Map<string, ChainHead> {
  return new Map(sealed.map((doc) => [doc.chain, { seq: doc.seq, hash: doc.hash }]));
}

/** What the producer said: the fields a record's hash covers (CHAINED_FIELDS), not what ingest or holds add. */
function eventContent(doc: EventLog): Partial<EventLog> {
  return chainedContent(doc);
}

/** JSON with object keys sorted at every depth, dates as ISO strings: equal content, equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/**
 * Every query hides records past `expiresAt`: the TTL monitor deletes them only about once a minute. Held
 * records have no `expiresAt` and stay visible (`$not: {$lte}` also matches a missing field).
 */
export function toQuery(filter: EventFilter, now: Date, cursor?: Cursor): QueryFilter<EventLog> {
  const and: QueryFilter<EventLog>[] = [{ expiresAt: { $not: { $lte: now } } }];
  const typeClauses: QueryFilter<EventLog>[] = [
    ...(filter.types?.length ? [{ type: { $in: filter.types } }] : []),
    ...(filter.typePrefixes ?? []).map((prefix) => ({ type: { $regex: `^${prefix.replace(/\./g, '\\.')}` } })),
  ];
  if (typeClauses.length === 1) and.push(typeClauses[0]);
  if (typeClauses.length > 1) and.push({ $or: typeClauses });
  if (filter.actorId) and.push({ actorId: filter.actorId });
  if (filter.entityId) and.push({ entityId: filter.entityId });
  if (filter.entityType) and.push({ entityType: filter.entityType });
  if (filter.correlationId) and.push({ correlationId: filter.correlationId });
  if (filter.from || filter.to) {
    and.push({ createdAt: { ...(filter.from && { $gte: filter.from }), ...(filter.to && { $lt: filter.to }) } });
  }
  if (cursor) {
    and.push({
      $or: [
        { createdAt: { $lt: cursor.createdAt } },
        { createdAt: cursor.createdAt, eventId: { $lt: cursor.eventId } },
      ],
    });
  }
  return and.length === 1 ? and[0] : { $and: and };
}
