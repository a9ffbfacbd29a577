import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditMetrics } from '../src/audit/infrastructure/audit.metrics';
import { freePort } from '@taskflow/testing';
import { gauge, readiness } from './progress-support';
import {
  KafkaFixture,
  openDb,
  sampleEvent,
  startApp,
  startOwnMongo,
  stopOwnMongo,
  testConfig,
  testTopic,
  uniqueName,
  waitFor,
} from './support';

jest.setTimeout(180_000);

describe('audit ingest across a MongoDB outage (own mongo-java-server, H2-backed)', () => {
  const kafka = new KafkaFixture();
  const topic = testTopic('audit-int-outage', 'task');
  const dir = mkdtempSync(join(tmpdir(), 'audit-outage-'));
  const h2File = join(dir, 'mongo.mv.db');
  let port: number;
  let mongo: ChildProcess;
  let app: NestFastifyApplication | undefined;

  const countStored = async (url: string) => {
    const { client, db } = await openDb(url);
    try {
      return await db.collection('event_logs').countDocuments();
    } finally {
      await client.close();
    }
  };

  beforeAll(async () => {
    port = await freePort();
    mongo = await startOwnMongo(port, h2File);
    await kafka.connect();
    await kafka.createTopics([topic]);
  });

  afterAll(async () => {
    await app?.close().catch(() => undefined);
    if (mongo) await stopOwnMongo(mongo);
    await kafka.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should pause while MongoDB is down and catch up to exactly N when it returns', async () => {
    const url = `mongodb://127.0.0.1:${port}/audit_outage`;
    app = await startApp(
      testConfig({
        MONGO_URL: url,
        AUDIT_TOPICS: topic,
        AUDIT_CONSUMER_GROUP: uniqueName('audit-int-outage'),
        AUDIT_PROGRESS_SAMPLE_MS: '300',
        AUDIT_STALL_AFTER_MS: '2000',
      }),
    );
    const events = Array.from({ length: 90 }, (_, i) => sampleEvent(i * 4)); // task events, for the task topic
    await kafka.publish(topic, events.slice(0, 30));
    await waitFor(async () => (await countStored(url)) === 30);

    await stopOwnMongo(mongo);
    await kafka.publish(topic, events.slice(30, 70));
    await kafka.publish(topic, events.slice(20, 40)); // redeliveries straddling the outage
    const metrics = app.get(AuditMetrics);
    await waitFor(async () => ((await metrics.writeRetries.get()).values[0]?.value ?? 0) >= 2, 30_000);
    await kafka.publish(topic, events.slice(70));
    // The held partition shows: lag, the age of the chunk being retried, and the ingest-progress check.
    await waitFor(async () => (await readiness(app!)).checks['ingest-progress'] !== undefined, 30_000);
    const lag = () => gauge(app!, 'taskflow_kafka_consumer_lag', topic);
    const age = () => gauge(app!, 'taskflow_kafka_consumer_oldest_unprocessed_age_seconds', topic, { max: true });
    expect(await lag()).toBeGreaterThan(0);
    expect(await age()).toBeGreaterThan(1);

    mongo = await startOwnMongo(port, h2File);
    await waitFor(async () => (await countStored(url)) === 90, 90_000, 500);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await countStored(url)).toBe(90);
    await waitFor(async () => (await lag()) === 0);
    await waitFor(async () => (await readiness(app!)).status === 'ok');
    expect(await age()).toBe(0);
  });
});
