import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { deadLetterTopic, EventEnvelope } from '@taskflow/contracts';
import { Db, MongoClient } from 'mongodb';
import { AuditMetrics } from '../src/audit/infrastructure/audit.metrics';
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

jest.setTimeout(120_000);

const DAY = 86_400_000;

describe('audit ingest (real Kafka + MongoDB protocol server)', () => {
  const kafka = new KafkaFixture();
  const taskTopic = testTopic('audit-int', 'task');
  const userTopic = testTopic('audit-int', 'user');
  const systemTopic = testTopic('audit-int', 'system');
  const crashTopic = testTopic('audit-int-crash', 'task');
  const dbName = uniqueName('audit_int_ingest').replace(/-/g, '_');
  const mongoUrl = `${MONGO_BASE}/${dbName}`;
  let mongo: { client: MongoClient; db: Db };
  const apps: NestFastifyApplication[] = [];

  const config = (groupId: string, topics: string) =>
    testConfig({
      MONGO_URL: mongoUrl,
      AUDIT_TOPICS: topics,
      AUDIT_SYSTEM_TOPIC: systemTopic,
      AUDIT_CONSUMER_GROUP: groupId,
      AUDIT_BATCH_SIZE: '20',
    });
  const start = async (groupId: string, topics = `${taskTopic},${userTopic},${systemTopic}`) => {
    const app = await startApp(config(groupId, topics));
    apps.push(app);
    return app;
  };
  const stored = () => mongo.db.collection('event_logs').countDocuments();

  beforeAll(async () => {
    await kafka.connect();
    await kafka.createTopics([taskTopic, userTopic, systemTopic]);
    await kafka.createTopics([crashTopic], 1);
    mongo = await openDb(mongoUrl);
  });

  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    await mongo?.db.dropDatabase();
    await mongo?.client.close();
    await kafka.close();
  });

  it('should store exactly the N distinct valid events, count duplicates and dead-letter the poison ones', async () => {
    const app = await start(uniqueName('audit-int-group'));
    const events = Array.from({ length: 60 }, (_, i) => sampleEvent(i));
    const onTopic = (e: EventEnvelope) =>
      e.entityType === 'user' ? userTopic : e.entityType === 'task' ? taskTopic : systemTopic;
    const duplicates = events.slice(0, 15);
    for (const batch of [events.slice(0, 30), duplicates, events.slice(30)]) {
      for (const topic of [taskTopic, userTopic, systemTopic]) {
        await kafka.publish(
          topic,
          batch.filter((e) => onTopic(e) === topic),
        );
      }
    }
    await kafka.publish(taskTopic, ['{"not": "an envelope"', JSON.stringify({ ...events[0], type: 'task.exploded' })]);
    // more redeliveries after the poison: the partition moves on
    await kafka.publish(
      taskTopic,
      events.slice(0, 5).filter((e) => onTopic(e) === taskTopic),
    );

    await waitFor(async () => (await stored()) === 60);
    const metrics = app.get(AuditMetrics);
    const redelivered = 15 + events.slice(0, 5).filter((e) => onTopic(e) === taskTopic).length;
    await waitFor(async () => (await metrics.duplicates.get()).values[0]?.value === redelivered);
    expect(await stored()).toBe(60);
    expect(await mongo.db.collection('event_logs').distinct('eventId')).toHaveLength(60);

    const dead = await kafka.readAll(deadLetterTopic(taskTopic), 2);
    expect(dead).toHaveLength(2);
    const reasons = dead.map((m) => m.headers!['x-dlq-reason']!.toString()).sort();
    expect(reasons[0]).toContain('unknown event type "task.exploded"');
    expect(reasons[1]).toContain('value is not JSON');
    expect(dead.map((m) => m.value!.toString())).toContain('{"not": "an envelope"');
    expect(dead[0].headers!['x-dlq-original-topic']!.toString()).toBe(taskTopic);
    expect(dead[0].headers!['x-dlq-original-offset']).toBeDefined();
    const deadByCode = (await metrics.deadLettered.get()).values.map((v) => [v.labels.code, v.value]);
    expect(deadByCode).toEqual([['invalid-envelope', 2]]);
    expect(dead.map((m) => m.headers!['x-dlq-error-code']!.toString())).toEqual([
      'invalid-envelope',
      'invalid-envelope',
    ]);
  });

  it('should stamp the seed document shape and expiresAt per retention class', async () => {
    const docs = await mongo.db.collection('event_logs').find({}).toArray();
    const byType = new Map(docs.map((doc) => [doc.type as string, doc]));
    const days = (doc: (typeof docs)[number]) => (doc.expiresAt.getTime() - doc.createdAt.getTime()) / DAY;
    expect(days(byType.get('user.login')!)).toBe(365);
    expect(days(byType.get('user.registered')!)).toBe(2555);
    expect(days(byType.get('task.status_changed')!)).toBe(180);
    expect(days(byType.get('system.backup.started')!)).toBe(90);
    // user.registered as producers write it now (v2, email masked) and as stored events from before (v1).
    const registered = docs.filter((doc) => doc.type === 'user.registered');
    expect(new Set(registered.map((doc) => doc.schemaVersion))).toEqual(new Set([1, 2]));
    for (const doc of registered.filter((d) => d.schemaVersion === 2)) {
      expect(doc.payload).toEqual({
        userId: doc.entityId,
        emailMasked: expect.stringMatching(/^u\*\*\*@example\.com$/),
        role: 'user',
      });
    }
    expect(byType.get('user.login')).toMatchObject({
      eventId: expect.any(String),
      schemaVersion: 1,
      actorId: expect.any(String),
      entityId: expect.any(String),
      entityType: 'user',
      payload: expect.any(Object),
      metadata: { timestamp: expect.any(Date) },
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
  });

  it('should dedupe on the canonical eventId and keep a reused eventId with other content aside, counted', async () => {
    const topic = testTopic('audit-int-conflict', 'user');
    await kafka.createTopics([topic], 1);
    const app = await start(uniqueName('audit-int-conflict'), topic);
    const [original, other] = [sampleEvent(1), sampleEvent(5)];
    const upperCase = { ...original, eventId: original.eventId.toUpperCase() };
    const reused = { ...other, eventId: original.eventId }; // same id, another event
    const rolledOver = { ...sampleEvent(9), occurredAt: '2026-02-30T12:00:00Z' };
    await kafka.publish(topic, [original]);
    await waitFor(
      async () => (await mongo.db.collection('event_logs').countDocuments({ eventId: original.eventId })) === 1,
    );
    await kafka.publish(topic, [upperCase, reused, reused, rolledOver]);

    const metrics = app.get(AuditMetrics);
    await waitFor(async () => (await metrics.deadLettered.get()).values[0]?.value === 1);
    expect((await metrics.duplicates.get()).values[0]?.value).toBe(1);
    expect((await metrics.conflicts.get()).values[0]?.value).toBe(2);
    const stored = await mongo.db
      .collection('event_logs')
      .find({ eventId: { $in: [original.eventId, upperCase.eventId] } })
      .toArray();
    expect(stored).toHaveLength(1);
    expect(stored[0].type).toBe(original.type);
    const conflicts = await mongo.db.collection('event_log_conflicts').find({ eventId: original.eventId }).toArray();
    expect(conflicts).toHaveLength(1); // the same variant twice is one record
    expect(conflicts[0].stored).toMatchObject({ type: original.type, payload: original.payload });
    expect(conflicts[0].received).toMatchObject({ type: other.type, payload: other.payload });
    // 30 February is refused, not stored as 2 March with an expiresAt in the past.
    expect(await mongo.db.collection('event_logs').countDocuments({ eventId: rolledOver.eventId })).toBe(0);
    const [dead] = await kafka.readAll(deadLetterTopic(topic), 1);
    expect(dead.headers!['x-dlq-reason']!.toString()).toMatch(/occurredAt must be an RFC 3339 date-time/);
  });

  it('should still hold exactly N after a crash between insert and commit and a restart', async () => {
    const groupId = uniqueName('audit-int-crash');
    const first = await start(groupId, crashTopic);
    let writes = 0;
    first.get(KafkaBatchServer).crashAfterHandle = () => ++writes === 2; // the second chunk is stored, never committed
    const events = Array.from({ length: 80 }, (_, i) => sampleEvent(i * 4)); // task events: the task topic's
    for (let i = 0; i < events.length; i += 20) await kafka.publish(crashTopic, events.slice(i, i + 20));
    await waitFor(async () => writes >= 2);
    await first.close();
    apps.splice(apps.indexOf(first), 1);

    const onlyNew = { eventId: { $in: events.map((e) => e.eventId) } };
    const storedAfterCrash = await mongo.db.collection('event_logs').countDocuments(onlyNew);
    const second = await start(groupId, crashTopic);
    await waitFor(async () => (await mongo.db.collection('event_logs').countDocuments(onlyNew)) === 80);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // nothing more arrives late
    expect(await mongo.db.collection('event_logs').countDocuments(onlyNew)).toBe(80);
    expect(storedAfterCrash).toBeGreaterThan(0);
    expect(storedAfterCrash).toBeLessThan(80);
    // The restart redelivers the stored-but-uncommitted chunk; the unique eventId index makes those duplicates.
    expect((await second.get(AuditMetrics).duplicates.get()).values[0]?.value ?? 0).toBeGreaterThan(0);
  });
});
