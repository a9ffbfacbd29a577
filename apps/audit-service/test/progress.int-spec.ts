import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Consumer } from 'kafkajs';
import { Db, MongoClient } from 'mongodb';
import { KafkaBatchServer } from '../src/audit/infrastructure/messaging/kafka-batch.server';
import {
  KafkaFixture,
  MONGO_BASE,
  openDb,
  sampleEvent,
  startApp,
  testConfig,
  testTopic,
  uniqueName,
  waitFor,
} from './support';
import { gauge, readiness } from './progress-support';

jest.setTimeout(120_000);

describe('a partition that makes no progress shows up (real Kafka + MongoDB protocol server)', () => {
  const kafka = new KafkaFixture();
  const topic = testTopic('audit-int-progress', 'task');
  const dbName = uniqueName('audit_int_progress').replace(/-/g, '_');
  let mongo: { client: MongoClient; db: Db };
  let app: NestFastifyApplication;

  beforeAll(async () => {
    await kafka.connect();
    await kafka.createTopics([topic], 1);
    mongo = await openDb(`${MONGO_BASE}/${dbName}`);
    app = await startApp(
      testConfig({
        MONGO_URL: `${MONGO_BASE}/${dbName}`,
        AUDIT_TOPICS: topic,
        AUDIT_CONSUMER_GROUP: uniqueName('audit-int-progress'),
        AUDIT_PROGRESS_SAMPLE_MS: '300',
        AUDIT_STALL_AFTER_MS: '2000',
      }),
    );
  });

  afterAll(async () => {
    await app?.close().catch(() => undefined);
    await mongo?.db.dropDatabase();
    await mongo?.client.close();
    await kafka.close();
  });

  it('should report lag, the oldest unprocessed age and degraded readiness while the consumer is paused', async () => {
    const stored = () => mongo.db.collection('event_logs').countDocuments();
    await kafka.publish(topic, [sampleEvent(0)]);
    await waitFor(async () => (await stored()) === 1);
    await waitFor(async () => (await gauge(app, 'taskflow_kafka_consumer_lag', topic)) === 0);
    expect((await readiness(app)).status).toBe('ok');

    const consumer = app.get(KafkaBatchServer).unwrap<Consumer>();
    consumer.pause([{ topic }]);
    await kafka.publish(topic, [sampleEvent(4), sampleEvent(8), sampleEvent(12)]);
    await waitFor(async () => (await gauge(app, 'taskflow_kafka_consumer_lag', topic)) === 3);
    await waitFor(async () => (await readiness(app)).status === 'degraded', 20_000);
    const stuck = await readiness(app);
    expect(stuck.statusCode).toBe(200); // degraded, still serving queries
    expect(stuck.checks['ingest-progress']).toMatch(new RegExp(`no progress: ${topic}\\[0\\] lag 3`));
    const age = () => gauge(app, 'taskflow_kafka_consumer_oldest_unprocessed_age_seconds', topic);
    expect(await age()).toBeGreaterThan(1);
    expect(await stored()).toBe(1);

    consumer.resume([{ topic }]);
    await waitFor(async () => (await stored()) === 4);
    await waitFor(async () => (await gauge(app, 'taskflow_kafka_consumer_lag', topic)) === 0);
    await waitFor(async () => (await readiness(app)).status === 'ok');
    expect(await age()).toBe(0);
  });
});
