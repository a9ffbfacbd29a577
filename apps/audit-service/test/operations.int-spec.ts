import { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  DeadLetterPage,
  deadLetterTopic,
  EventType,
  PurgeDeadLettersResponse,
  RedriveDeadLettersResponse,
  ReplayProgress,
} from '@taskflow/contracts';
import { accessToken } from '@taskflow/testing';
import { IHeaders } from 'kafkajs';
import { Db, MongoClient } from 'mongodb';
import { randomUUID } from 'node:crypto';
import {
  KafkaFixture,
  MONGO_BASE,
  openDb,
  sampleEvent,
  startApp,
  testConfig,
  token,
  uniqueName,
  waitFor,
  testTopic,
} from './support';

jest.setTimeout(180_000);

/**
 * Operator recovery against the shared Kafka and the MongoDB-protocol server: dead-letter listing, redrive and
 * purge, and replay from a point in time, each through the HTTP API with an admin token; each action's
 * audit.* event must reach event_logs with the token's subject as actor.
 */
describe('operator recovery (real Kafka + MongoDB protocol server)', () => {
  const kafka = new KafkaFixture();
  // Every event here is a task event (sampleEvent(4·i)): audit-service dead-letters events on another context's topic.
  const topic = testTopic('audit-int-ops', 'task');
  const auditTopic = testTopic('audit-int-ops', 'audit');
  const dlq = deadLetterTopic(topic);
  const scratch = uniqueName('audit-int.ops-scratch');
  const dbName = uniqueName('audit_int_ops').replace(/-/g, '_');
  const admin = { id: randomUUID(), role: 'admin' as const };
  const adminToken = accessToken(admin, randomUUID(), 600);
  let mongo: { client: MongoClient; db: Db };
  let app: NestFastifyApplication;

  const call = async (method: 'GET' | 'POST', url: string, payload?: object, bearer = adminToken) => {
    const response = await app
      .getHttpAdapter()
      .getInstance()
      .inject({ method, url, headers: { authorization: `Bearer ${bearer}` }, payload });
    return { status: response.statusCode, body: response.json() };
  };
  const events = () => mongo.db.collection('event_logs');
  const auditEvent = async (type: string, actorId: string) => events().findOne({ type, actorId });

  beforeAll(async () => {
    await kafka.connect();
    await kafka.createTopics([topic, auditTopic, scratch], 1);
    mongo = await openDb(`${MONGO_BASE}/${dbName}`);
    app = await startApp(
      testConfig({
        MONGO_URL: `${MONGO_BASE}/${dbName}`,
        AUDIT_TOPICS: `${topic},${auditTopic}`,
        AUDIT_EVENTS_TOPIC: auditTopic,
        AUDIT_CONSUMER_GROUP: uniqueName('audit-int-ops'),
      }),
    );
  });

  afterAll(async () => {
    await app?.close().catch(() => undefined);
    await mongo?.db.dropDatabase();
    await mongo?.client.close();
    await kafka.close();
  });

  describe('dead letters', () => {
    const fixed = sampleEvent(0); // a valid event the store "rejected" before the fix
    const traceBytes = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f, 0xc3, 0x28]); // not valid UTF-8: kept as bytes
    let producerHeaders: IHeaders = {};
    // The bytes as the producer sent them (signed producers send the envelope's canonical JSON).
    let producedValue = '';

    beforeAll(async () => {
      // The event as its producer sends it (whatever headers the fixture's producer adds, e.g. a signature), read
      // back from a scratch topic; then what EventIngest writes to the .dlq for a message MongoDB refused.
      await kafka.publish(scratch, [fixed]);
      const [produced] = await kafka.readAll(scratch, 1);
      producerHeaders = produced.headers ?? {};
      producedValue = produced.value!.toString();
      await kafka.producer.send({
        topic: dlq,
        acks: -1,
        messages: [
          {
            key: produced.key,
            value: produced.value,
            headers: {
              ...producerHeaders,
              'x-trace-bytes': traceBytes,
              'x-dlq-error-code': 'rejected-by-store',
              'x-dlq-reason': 'E11000-like refusal before the fix',
              'x-dlq-original-topic': topic,
              'x-dlq-original-partition': '0',
              'x-dlq-original-offset': '41',
              'x-dlq-original-timestamp': String(Date.now() - 60_000),
              'x-dlq-consumer-group': 'taskflow-audit',
            },
          },
        ],
      });
      // A real poison message, dead-lettered by the running ingest.
      await kafka.publish(topic, ['{"not": "an envelope"']);
      await waitFor(
        async () => (await call('GET', `/api/v1/audit/admin/dead-letters?topic=${topic}`)).body.items?.length === 2,
        30_000,
        500,
      );
    });

    it('should list dead letters with where they came from and why, page by page', async () => {
      const { status, body } = await call('GET', `/api/v1/audit/admin/dead-letters?topic=${dlq}`);
      expect(status).toBe(200);
      const page = body as DeadLetterPage;
      expect(page.nextCursor).toBeNull();
      const [ours, poison] = page.items;
      expect(ours).toMatchObject({
        topic: dlq,
        partition: 0,
        offset: '0',
        originalTopic: topic,
        originalPartition: 0,
        originalOffset: '41',
        errorCode: 'rejected-by-store',
        eventId: fixed.eventId,
        eventType: EventType.TaskStatusChanged,
        value: producedValue,
        valueTruncated: false,
      });
      expect(poison).toMatchObject({
        offset: '1',
        originalTopic: topic,
        originalOffset: '0',
        errorCode: 'invalid-envelope',
        value: '{"not": "an envelope"',
      });
      expect(poison.reason).toMatch(/JSON/i);
      expect(poison.eventId).toBeUndefined();

      const first = (await call('GET', `/api/v1/audit/admin/dead-letters?topic=${dlq}&limit=1`)).body as DeadLetterPage;
      expect(first.items.map((i) => i.offset)).toEqual(['0']);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = (
        await call('GET', `/api/v1/audit/admin/dead-letters?topic=${dlq}&limit=1&cursor=${first.nextCursor}`)
      ).body as DeadLetterPage;
      expect(second.items.map((i) => i.offset)).toEqual(['1']);
      expect(second.nextCursor).toBeNull();
    });

    it('should refuse what is not an admin, an unknown topic and a bad cursor with 4xx naming the field', async () => {
      expect((await call('GET', '/api/v1/audit/admin/dead-letters', undefined, token('auditor'))).status).toBe(403);
      const unknown = await call('GET', '/api/v1/audit/admin/dead-letters?topic=taskflow.other.dlq');
      expect(unknown.status).toBe(400);
      expect(JSON.stringify(unknown.body)).toContain('topic');
      const cursor = await call('GET', `/api/v1/audit/admin/dead-letters?topic=${dlq}&cursor=garbage`);
      expect(cursor.status).toBe(400);
      expect(JSON.stringify(cursor.body)).toContain('cursor');
      const limit = await call('GET', `/api/v1/audit/admin/dead-letters?limit=0`);
      expect(limit.status).toBe(400);
      const redrive = await call('POST', '/api/v1/audit/admin/dead-letters/redrive', {
        records: [{ topic: 'elsewhere', partition: 0, offset: '0' }],
      });
      expect(redrive.status).toBe(400);
      expect(JSON.stringify(redrive.body)).toContain('records.0.topic');
      const purge = await call('POST', '/api/v1/audit/admin/dead-letters/purge', {
        topic: dlq,
        partitions: [{ partition: 0, beforeOffset: '999999' }],
      });
      expect(purge.status).toBe(400);
      expect(JSON.stringify(purge.body)).toContain('partitions.0.beforeOffset');
    });

    it('should redrive a fixed message once with its original headers, and send a failing one back with its reason', async () => {
      const { status, body } = await call('POST', '/api/v1/audit/admin/dead-letters/redrive', {
        records: [
          { topic: dlq, partition: 0, offset: '0' },
          { topic: dlq, partition: 0, offset: '7' },
        ],
      });
      expect(status).toBe(200);
      const result = body as RedriveDeadLettersResponse;
      expect(result.redriven).toEqual([
        { topic: dlq, partition: 0, offset: '0', originalTopic: topic, eventId: fixed.eventId },
      ]);
      expect(result.notFound).toEqual([{ topic: dlq, partition: 0, offset: '7' }]);
      await waitFor(async () => (await events().countDocuments({ eventId: fixed.eventId })) === 1, 20_000);

      const onTopic = await kafka.readAll(topic, 2);
      const redriven = onTopic.find((m) => m.value?.toString() === producedValue)!;
      expect(redriven.key?.toString()).toBe(fixed.entityId);
      // Every producer header byte for byte (a signature must still verify), no x-dlq-* header.
      expect(Object.keys(redriven.headers!).sort()).toEqual([...Object.keys(producerHeaders), 'x-trace-bytes'].sort());
      expect(Buffer.compare(redriven.headers!['x-trace-bytes'] as Buffer, traceBytes)).toBe(0);
      for (const [name, value] of Object.entries(producerHeaders)) {
        expect(Buffer.compare(redriven.headers![name] as Buffer, value as Buffer)).toBe(0);
      }

      // Redriving it again is harmless: the eventId index absorbs it.
      await call('POST', '/api/v1/audit/admin/dead-letters/redrive', {
        records: [{ topic: dlq, partition: 0, offset: '0' }],
      });
      // The poison one is still poison: back in the dead-letter topic with its reason.
      await call('POST', '/api/v1/audit/admin/dead-letters/redrive', {
        records: [{ topic: dlq, partition: 0, offset: '1' }],
      });
      await waitFor(
        async () => (await call('GET', `/api/v1/audit/admin/dead-letters?topic=${dlq}`)).body.items.length === 3,
        30_000,
        500,
      );
      const again = ((await call('GET', `/api/v1/audit/admin/dead-letters?topic=${dlq}`)).body as DeadLetterPage)
        .items[2];
      expect(again).toMatchObject({ offset: '2', errorCode: 'invalid-envelope', value: '{"not": "an envelope"' });
      expect(again.originalOffset).not.toBe('0'); // dead-lettered from its redriven copy
      expect(await events().countDocuments({ eventId: fixed.eventId })).toBe(1);

      await waitFor(
        async () =>
          (await events().countDocuments({ type: EventType.AuditDeadLetterRedriven, actorId: admin.id })) === 3,
        20_000,
      );
      const audited = await events().findOne({ eventId: result.auditEventId });
      expect(audited).toMatchObject({
        type: EventType.AuditDeadLetterRedriven,
        actorId: admin.id,
        entityType: 'audit',
        payload: { redriven: result.redriven, notFound: 1 },
      });
    });

    it('should purge a dead-letter partition up to an offset, then list nothing', async () => {
      const { status, body } = await call('POST', '/api/v1/audit/admin/dead-letters/purge', {
        topic: dlq,
        partitions: [{ partition: 0, beforeOffset: '3' }],
      });
      expect(status).toBe(200);
      const result = body as PurgeDeadLettersResponse;
      expect(result.partitions).toEqual([{ partition: 0, beforeOffset: '3', previousLowOffset: '0', purged: 3 }]);
      const after = (await call('GET', `/api/v1/audit/admin/dead-letters?topic=${dlq}`)).body as DeadLetterPage;
      expect(after).toEqual({ items: [], nextCursor: null });

      await waitFor(async () => (await auditEvent(EventType.AuditDeadLetterPurged, admin.id)) !== null, 20_000);
      expect(await events().findOne({ eventId: result.auditEventId })).toMatchObject({
        actorId: admin.id,
        payload: { topic: dlq, partitions: [{ partition: 0, beforeOffset: '3', previousLowOffset: '0' }] },
      });
    });
  });

  describe('replay from a point in time', () => {
    it('should bring back exactly the events deleted after the point in time, without duplicates', async () => {
      const before = [0, 1, 2].map((i) => sampleEvent(4 * i));
      const after = [3, 4, 5, 6].map((i) => sampleEvent(4 * i));
      await kafka.publish(topic, before);
      await waitFor(
        async () => (await events().countDocuments({ eventId: { $in: before.map((e) => e.eventId) } })) === 3,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      const from = new Date();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await kafka.publish(topic, after);
      const ids = [...before, ...after].map((e) => e.eventId);
      await waitFor(async () => (await events().countDocuments({ eventId: { $in: ids } })) === 7);

      const untouched = await events()
        .find({ eventId: { $in: [before[1].eventId, before[2].eventId] } })
        .toArray();
      const deleted = [before[0], after[0], after[2]].map((e) => e.eventId);
      await events().deleteMany({ eventId: { $in: deleted } });

      const bad = await call('POST', '/api/v1/audit/admin/replay', { from: '2030-02-30T00:00:00Z' });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain('from');
      const reversed = await call('POST', '/api/v1/audit/admin/replay', {
        from: from.toISOString(),
        to: '2000-01-01T00:00:00Z',
      });
      expect(reversed.status).toBe(400);
      expect(JSON.stringify(reversed.body)).toContain('"to"');
      expect(
        (await call('POST', '/api/v1/audit/admin/replay', { from: from.toISOString(), topics: ['other'] })).status,
      ).toBe(400);

      const started = await call('POST', '/api/v1/audit/admin/replay', { from: from.toISOString(), topics: [topic] });
      expect(started.status).toBe(202);
      const { replayId } = started.body as ReplayProgress;
      expect(started.body).toMatchObject({ status: 'running', topics: [topic], messages: 4, actorId: admin.id });

      let progress!: ReplayProgress;
      await waitFor(
        async () => {
          progress = (await call('GET', `/api/v1/audit/admin/replay/${replayId}`)).body as ReplayProgress;
          return progress.status !== 'running';
        },
        60_000,
        500,
      );
      expect(progress).toMatchObject({
        status: 'completed',
        read: 4,
        stored: 2,
        duplicates: 2,
        deadLettered: 0,
        error: null,
      });

      // Exactly the deleted events after `from` are back, once each; the one deleted before `from` is not.
      for (const id of ids) {
        const expected = id === before[0].eventId ? 0 : 1;
        expect(await events().countDocuments({ eventId: id })).toBe(expected);
      }
      const now = await events()
        .find({ eventId: { $in: [before[1].eventId, before[2].eventId] } })
        .toArray();
      expect(now).toEqual(untouched);

      await waitFor(
        async () => (await events().countDocuments({ entityId: replayId, actorId: admin.id })) === 2,
        20_000,
      );
      const completed = await events().findOne({ type: EventType.AuditReplayCompleted, entityId: replayId });
      expect(completed).toMatchObject({
        actorId: admin.id,
        payload: { status: 'completed', stored: 2, duplicates: 2 },
      });
      expect((await call('GET', `/api/v1/audit/admin/replay/${randomUUID()}`)).status).toBe(404);
      expect((await call('GET', '/api/v1/audit/admin/replay/not-a-uuid')).status).toBe(400);
    });
  });
});
