import type { Collection, Document, Filter } from 'mongodb';
import { percentile } from './percentile';

export interface InsertRate {
  docs: number;
  seconds: number;
  perSecond: number;
}

/**
 * Native driver bulk-insert rate: `docs` in unordered `insertMany` batches, spread over `writers` concurrent
 * writers (the ingest writes one batch per partition at a time, so 3 writers match 3 partitions).
 */
export async function insertRate(
  collection: Collection,
  docs: readonly Document[],
  { writers = 1, batchSize = 1000 }: { writers?: number; batchSize?: number } = {},
): Promise<InsertRate> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let i = writer * batchSize; i < docs.length; i += writers * batchSize) {
        await collection.insertMany(docs.slice(i, i + batchSize), { ordered: false });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { docs: docs.length, seconds, perSecond: Math.round(docs.length / seconds) };
}

export interface StoredLag {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** When the last matching document was stored (its updatedAt). */
  lastStored: Date | undefined;
}

/**
 * Lag of stored audit documents: `updatedAt` (written at ingest) − `createdAt` (the event's occurredAt). With
 * occurredAt set at publish (or at the write that emitted the event) this is the end-to-end lag.
 */
export async function storedLag(collection: Collection, filter: Filter<Document> = {}): Promise<StoredLag> {
  const lags: number[] = [];
  let last = 0;
  for await (const doc of collection.find(filter, { projection: { _id: 0, createdAt: 1, updatedAt: 1 } })) {
    const stored = new Date(doc.updatedAt).getTime();
    lags.push(stored - new Date(doc.createdAt).getTime());
    last = Math.max(last, stored);
  }
  lags.sort((a, b) => a - b);
  return {
    count: lags.length,
    p50Ms: percentile(lags, 0.5),
    p99Ms: percentile(lags, 0.99),
    maxMs: lags.length ? lags[lags.length - 1] : Number.NaN,
    lastStored: last ? new Date(last) : undefined,
  };
}
