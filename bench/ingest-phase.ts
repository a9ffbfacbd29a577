import { insertRate, InsertRate, storedLag, StoredLag } from '@taskflow/bench';
import { createEnvelope, EventEnvelope, Events } from '@taskflow/contracts';
import { signedMessage, waitFor } from '@taskflow/testing';
import { randomUUID } from 'node:crypto';
import type { BenchSystem } from './system';

export interface IngestFigures {
  events: number;
  /** First publish → last document stored. */
  seconds: number;
  eventsPerSec: number;
  /** Publish → stored, per event. */
  lag: StoredLag;
  publishPerSec: number;
  /** The native driver's insertMany of the same documents into a copy of the collection (same indexes). */
  raw1: InsertRate;
  raw3: InsertRate;
}

const CHUNK = 1000;

function makeEvents(n: number, actors: string[]): EventEnvelope[] {
  return Array.from({ length: n }, (_, i) => {
    const taskId = randomUUID();
    return createEnvelope(Events.TaskStatusChanged, {
      actorId: actors[i % actors.length],
      entityId: taskId,
      correlationId: `bench-ingest-${i}`,
      metadata: { userAgent: 'bench/1.0', ipAddress: '10.0.0.1', sessionId: 'bench-session' },
      payload: { taskId, from: 'todo', to: 'in_progress', version: 2 },
    });
  });
}

/**
 * Publishes `total` events to the bench's ingest topic as fast as one producer can (occurredAt = publish time),
 * waits for the audit-service to store them all and measures rate and lag. Then, as the baseline, inserts the
 * very documents it stored into an empty copy of the collection (same server, same indexes) with the native
 * driver: half with one writer, half with three (one per partition, like the ingest).
 */
export async function ingestPhase(
  system: BenchSystem,
  total: number,
  log: (line: string) => void,
): Promise<IngestFigures> {
  const actors = Array.from({ length: 50 }, () => randomUUID());
  const events = makeEvents(total, actors);
  const mine = { actorId: { $in: actors } };
  const stored = system.auditDb.collection('event_logs');
  const before = await stored.countDocuments();

  const producer = system.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const published = Date.now();
  try {
    for (let i = 0; i < events.length; i += CHUNK) {
      const at = new Date().toISOString();
      await producer.send({
        topic: system.topics.ingest,
        messages: events
          .slice(i, i + CHUNK)
          .map((event) => signedMessage({ ...event, occurredAt: at, metadata: { ...event.metadata, timestamp: at } })),
      });
    }
  } finally {
    await producer.disconnect();
  }
  const publishSeconds = (Date.now() - published) / 1000;
  log(`[bench]   published ${total} events in ${publishSeconds.toFixed(1)} s; waiting for the audit store …`);
  let count = 0;
  await waitFor(async () => (count = (await stored.estimatedDocumentCount()) - before) >= total, {
    timeoutMs: 180_000,
    intervalMs: 250,
    description: `all ${total} events stored`,
  }).catch((error: Error) => {
    throw new Error(`${error.message} (stored ${count})`);
  });
  const lag = await storedLag(stored, mine);
  if (lag.count !== total) throw new Error(`expected ${total} ingested documents, found ${lag.count}`);
  const seconds = (lag.lastStored!.getTime() - published) / 1000;

  const docs = await stored.find(mine, { projection: { _id: 0 } }).toArray();
  const raw = system.mongo.db(`${system.auditDb.databaseName}_raw`).collection('event_logs');
  for (const index of await stored.listIndexes().toArray()) {
    if (index.name === '_id_') continue;
    const { key, v: _version, ns: _namespace, ...options } = index;
    await raw.createIndex(key, options);
  }
  const half = Math.floor(docs.length / 2);
  const raw1 = await insertRate(raw, docs.slice(0, half), { writers: 1, batchSize: CHUNK });
  const raw3 = await insertRate(raw, docs.slice(half), { writers: 3, batchSize: CHUNK });
  return {
    events: total,
    seconds,
    eventsPerSec: Math.round(total / seconds),
    lag,
    publishPerSec: Math.round(total / publishSeconds),
    raw1,
    raw3,
  };
}
