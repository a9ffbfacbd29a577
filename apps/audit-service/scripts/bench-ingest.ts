/**
 * End-to-end ingest benchmark (a script, not a test):
 *   node -r @swc-node/register apps/audit-service/scripts/bench-ingest.ts [events=100000]
 * Publishes N events to a fresh topic, lets the audit ingest (in this process) store them, and prints
 * events/s and publish→stored lag p50/p99, next to the raw native insertMany rate of the same MongoDB server
 * (one sequential writer, and three concurrent writers like the ingest's three partition handlers).
 * Creates and removes its own topic, database and consumer group.
 */
import { createEnvelope, deadLetterTopic, EventEnvelope, Topics, Events } from '@taskflow/contracts';
import { createLogger } from '@taskflow/nest-kit';
import { eventKeyEnv, signedMessage } from '@taskflow/testing';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { startAuditApp } from '../src/bootstrap';
import { toEventLog } from '../src/audit/application/to-event-log';
import { runMigrations } from '../src/audit/infrastructure/persistence/migrations';
import { databaseOf, openMongoConnection } from '../src/audit/infrastructure/persistence/mongo-connection';
import { generateCheckpointKeyEnv, generateSigningKeyEnv } from '@taskflow/infra';
import { loadAuditConfig } from '../src/config/audit.config';

const TOTAL = Number(process.argv[2] ?? 100_000);
const CHUNK = 1000;
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const MONGO_BASE = process.env.BENCH_MONGO_URL ?? 'mongodb://127.0.0.1:27017';

function makeEvents(n: number): EventEnvelope[] {
  const actors = Array.from({ length: 50 }, () => randomUUID());
  return Array.from({ length: n }, (_, i) => {
    const taskId = randomUUID();
    return createEnvelope(Events.TaskStatusChanged, {
      actorId: actors[i % actors.length],
      entityId: taskId,
      correlationId: `bench-${i}`,
      metadata: { userAgent: 'bench/1.0', ipAddress: '10.0.0.1', sessionId: 'bench-session' },
      payload: { taskId, from: 'todo', to: 'in_progress', version: 2 },
    });
  });
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const id = `${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
  const topic = `audit-bench.${id}.${Topics.task}`; // task events only: the task topic's
  const dbUrl = `${MONGO_BASE}/audit_bench_${id.replace(/-/g, '_')}`;
  const kafka = new Kafka({ clientId: 'audit-bench', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const mongo = await MongoClient.connect(dbUrl);
  await admin.connect();
  await producer.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [topic, deadLetterTopic(topic)].map((name) => ({ topic: name, numPartitions: 3 })),
  });
  const config = loadAuditConfig({
    // Keys of this run only, unless the environment brings its own.
    ...generateSigningKeyEnv(),
    ...generateCheckpointKeyEnv(),
    ...process.env,
    ...eventKeyEnv(), // the test producer's key: the bench publishes signed events like a producer would
    MONGO_URL: dbUrl,
    KAFKA_BROKERS: BROKERS,
    AUDIT_TOPICS: topic,
    AUDIT_CONSUMER_GROUP: `audit-bench-${id}`,
    LOG_LEVEL: 'warn',
  });
  try {
    console.log(`generating ${TOTAL} valid envelopes …`);
    const events = makeEvents(TOTAL);

    // Baseline: the raw native bulk-insert rate of the same server, same document shape, same batch size,
    // through the driver the ingest uses (mongoose's copy, the model's native collection).
    // Same indexes as event_logs (the migrations), in a sibling database so the two runs don't mix.
    const rawConnection = await openMongoConnection(`${dbUrl}_raw`, 5000);
    const rawDb = databaseOf(rawConnection);
    await runMigrations(rawDb);
    const raw = rawDb.collection('event_logs');
    const docs = events.map((event) => toEventLog(event, config.retention));
    // Half with one sequential writer, half with as many concurrent writers as the ingest uses (one per partition).
    const half = Math.floor(docs.length / 2);
    const rawSequential = await timed(async () => {
      for (let i = 0; i < half; i += CHUNK)
        await raw.insertMany(docs.slice(i, Math.min(i + CHUNK, half)), { ordered: false });
    });
    const rest = docs.slice(half);
    const rawParallel = await timed(() =>
      Promise.all(
        [0, 1, 2].map(async (writer) => {
          for (let i = writer * CHUNK; i < rest.length; i += 3 * CHUNK) {
            await raw.insertMany(rest.slice(i, i + CHUNK), { ordered: false });
          }
        }),
      ),
    );
    await rawDb.dropDatabase();
    await rawConnection.close();

    const logger = createLogger('audit-bench', 'warn');
    const app = await startAuditApp(config, logger);
    const stored = mongo.db().collection('event_logs');

    console.log(`publishing ${TOTAL} events to ${topic} …`);
    const published = Date.now();
    for (let i = 0; i < events.length; i += CHUNK) {
      const at = new Date().toISOString(); // occurredAt = publish time, so updatedAt - createdAt is the lag
      await producer.send({
        topic,
        messages: events
          .slice(i, i + CHUNK)
          .map((event) => signedMessage({ ...event, occurredAt: at, metadata: { ...event.metadata, timestamp: at } })),
      });
    }
    const publishSeconds = (Date.now() - published) / 1000;
    for (let count = 0; count < TOTAL; count = await stored.estimatedDocumentCount()) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const lags: number[] = [];
    let lastWrite = 0;
    for await (const doc of stored.find({}, { projection: { createdAt: 1, updatedAt: 1 } })) {
      lags.push(doc.updatedAt.getTime() - doc.createdAt.getTime());
      lastWrite = Math.max(lastWrite, doc.updatedAt.getTime());
    }
    lags.sort((a, b) => a - b);
    const e2eSeconds = (lastWrite - published) / 1000;
    await app.close();

    console.log(
      [
        `events                        ${TOTAL}`,
        `publish                       ${publishSeconds.toFixed(1)} s (${Math.round(TOTAL / publishSeconds)} msg/s)`,
        `end-to-end ingest             ${Math.round(TOTAL / e2eSeconds)} events/s (${e2eSeconds.toFixed(1)} s, first publish → last write)`,
        `lag publish→stored            p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms, max ${lags.at(-1)} ms`,
        `raw native insertMany, 1 writer  ${Math.round(half / rawSequential)} docs/s (${half} docs in ${rawSequential.toFixed(1)} s, batches of ${CHUNK}, same server and indexes)`,
        `raw native insertMany, 3 writers ${Math.round(rest.length / rawParallel)} docs/s (${rest.length} docs in ${rawParallel.toFixed(1)} s)`,
        `stored / distinct             ${await stored.countDocuments()} / ${(await stored.distinct('eventId')).length}`,
      ].join('\n'),
    );
  } finally {
    await mongo.db().dropDatabase();
    await mongo.close();
    await admin.deleteTopics({ topics: [topic, deadLetterTopic(topic)] }).catch(() => undefined);
    await producer.disconnect();
    await admin.disconnect();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
