import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { deadLetterTopic } from '@taskflow/contracts';
import { deeplyNestedEvent, signedMessage } from '@taskflow/testing';
import { Db, MongoClient } from 'mongodb';
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

jest.setTimeout(120_000);

describe('poison containment (real Kafka + MongoDB protocol server)', () => {
  const kafka = new KafkaFixture();
  const topic = testTopic('audit-int-poison', 'task');
  const dbName = uniqueName('audit_int_poison').replace(/-/g, '_');
  let mongo: { client: MongoClient; db: Db };
  let app: NestFastifyApplication | undefined;

  beforeAll(async () => {
    await kafka.connect();
    await kafka.createTopics([topic], 1); // one partition: the poison and the next event share it
    mongo = await openDb(`${MONGO_BASE}/${dbName}`);
    app = await startApp(
      testConfig({
        MONGO_URL: `${MONGO_BASE}/${dbName}`,
        AUDIT_TOPICS: topic,
        AUDIT_CONSUMER_GROUP: uniqueName('audit-int-poison'),
      }),
    );
  });

  afterAll(async () => {
    await app?.close().catch(() => undefined);
    await mongo?.db.dropDatabase();
    await mongo?.client.close();
    await kafka.close();
  });

  it('should dead-letter a payload nested 3,000 levels deep and store the next event of its partition', async () => {
    const next = sampleEvent(0); // task.status_changed
    const poison = deeplyNestedEvent(next.entityId);
    expect(poison.json.length).toBeGreaterThan(15_000);
    await kafka.producer.send({
      topic,
      acks: -1,
      messages: [
        // Signed by a genuine producer: the poison is in the content, not in the signature.
        { ...signedMessage(poison.json), key: next.entityId },
        signedMessage(next),
      ],
    });

    const events = mongo.db.collection('event_logs');
    const started = Date.now();
    await waitFor(async () => (await events.countDocuments({ eventId: next.eventId })) === 1, 20_000);
    console.log(`next event on the poisoned partition stored after ${Date.now() - started} ms`);
    expect(await events.countDocuments({ eventId: poison.envelope.eventId })).toBe(0);

    const [dead] = await kafka.readAll(deadLetterTopic(topic), 1);
    const header = (name: string) => dead.headers?.[name]?.toString();
    expect(dead.value?.toString()).toBe(poison.json);
    expect(dead.key?.toString()).toBe(next.entityId);
    // Refused by its depth before any recursive validator runs: the same answer warm or cold (issue 13 fault suite).
    expect(header('x-dlq-error-code')).toBe('invalid-envelope');
    expect(header('x-dlq-reason')).toBe('envelope nests deeper than 32 levels');
    expect(header('x-dlq-original-topic')).toBe(topic);
    expect(header('x-dlq-original-partition')).toBe('0');
    expect(header('x-dlq-original-offset')).toBe('0');
  });
});
