import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { toEventVerifyJwk } from '@taskflow/config';
import { createEnvelope, deadLetterTopic, EventEnvelope, Events } from '@taskflow/contracts';
import { signEnvelope } from '@taskflow/messaging-kafka';
import { Db, MongoClient } from 'mongodb';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { AuditMetrics } from '../src/audit/infrastructure/audit.metrics';
import { KafkaFixture, MONGO_BASE, openDb, startApp, testConfig, testTopic, uniqueName, waitFor } from './support';

jest.setTimeout(120_000);

function producer(keyId: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { key: { keyId, privateKey }, publicKey };
}

/** The attack of issue 13: a user made admin, "by" the real admin. */
function roleChange(adminId: string, to: 'admin' | 'auditor' = 'admin'): EventEnvelope {
  const userId = randomUUID();
  return createEnvelope(Events.UserRoleChanged, {
    actorId: adminId,
    entityId: userId,
    payload: { userId, from: 'user', to },
  });
}

describe('forged events never reach event_logs (real Kafka + MongoDB protocol server)', () => {
  const kafka = new KafkaFixture();
  const userTopic = testTopic('audit-int-forged', 'user');
  const taskTopic = testTopic('audit-int-forged', 'task');
  const dbName = uniqueName('audit_int_forged').replace(/-/g, '_');
  const userService = producer(`user-service-${randomUUID().slice(0, 8)}`);
  const taskService = producer(`task-service-${randomUUID().slice(0, 8)}`);
  const attacker = producer(`attacker-${randomUUID().slice(0, 8)}`);
  let mongo: { client: MongoClient; db: Db };
  let app: NestFastifyApplication | undefined;

  beforeAll(async () => {
    await kafka.connect();
    await kafka.createTopics([userTopic, taskTopic], 1); // one partition: the genuine event comes after the forgeries
    mongo = await openDb(`${MONGO_BASE}/${dbName}`);
    app = await startApp(
      testConfig({
        MONGO_URL: `${MONGO_BASE}/${dbName}`,
        AUDIT_TOPICS: `${userTopic},${taskTopic}`,
        AUDIT_CONSUMER_GROUP: uniqueName('audit-int-forged'),
        // As deployed: each producer's public key, allowed on its own topic only.
        EVENT_VERIFY_KEYS: JSON.stringify({
          keys: [
            toEventVerifyJwk(userService.key.keyId, userService.publicKey, ['taskflow.user.events.v1']),
            toEventVerifyJwk(taskService.key.keyId, taskService.publicKey, ['taskflow.task.events.v1']),
          ],
        }),
      }),
    );
  });

  afterAll(async () => {
    await app?.close().catch(() => undefined);
    await mongo?.db.dropDatabase();
    await mongo?.client.close();
    await kafka.close();
  });

  it('should dead-letter each forged user.role_changed with its code and store only the genuine one', async () => {
    const adminId = randomUUID();
    const unsigned = roleChange(adminId);
    const unknownKey = roleChange(adminId);
    const otherProducer = roleChange(adminId);
    const edited = roleChange(adminId, 'auditor');
    const genuineOfEdited = signEnvelope(edited, userService.key);
    const editedBody = signEnvelope({ ...edited, payload: { ...edited.payload, to: 'admin' } }, userService.key).value;
    const taskId = randomUUID();
    const misplaced = createEnvelope(Events.TaskDeleted, {
      actorId: adminId,
      entityId: taskId,
      payload: { taskId, deletedAt: new Date().toISOString(), version: 7 },
    });
    const genuine = roleChange(adminId);
    const forged = [
      { envelope: unsigned, message: { value: JSON.stringify(unsigned) }, code: 'unsigned' },
      { envelope: unknownKey, message: signEnvelope(unknownKey, attacker.key), code: 'unknown-key' },
      { envelope: otherProducer, message: signEnvelope(otherProducer, taskService.key), code: 'key-not-allowed' },
      { envelope: edited, message: { ...genuineOfEdited, value: editedBody }, code: 'bad-signature' },
      // A genuine user-service signature over a task event: authentic bytes, wrong topic for their type.
      { envelope: misplaced, message: signEnvelope(misplaced, userService.key), code: 'wrong-topic' },
    ];
    await kafka.producer.send({
      topic: userTopic,
      acks: -1,
      messages: [
        ...forged.map(({ envelope, message }) => ({ key: envelope.entityId, ...message })),
        { key: genuine.entityId, ...signEnvelope(genuine, userService.key) },
      ],
    });

    const events = mongo.db.collection('event_logs');
    await waitFor(async () => (await events.countDocuments({ eventId: genuine.eventId })) === 1, 20_000);
    expect(await events.findOne({ eventId: genuine.eventId })).toMatchObject({
      type: 'user.role_changed',
      actorId: adminId,
      payload: { to: 'admin' },
    });
    expect(await events.countDocuments({ eventId: { $in: forged.map((f) => f.envelope.eventId) } })).toBe(0);
    expect(await events.countDocuments({ actorId: adminId })).toBe(1);

    const dead = await kafka.readAll(deadLetterTopic(userTopic), forged.length);
    const header = (m: (typeof dead)[number], name: string) => m.headers?.[name]?.toString();
    expect(dead.map((m) => header(m, 'x-dlq-error-code'))).toEqual(forged.map((f) => f.code));
    expect(dead.map((m) => m.key?.toString())).toEqual(forged.map((f) => f.envelope.entityId));
    expect(header(dead[1], 'x-dlq-reason')).toBe(`signed by unknown key "${attacker.key.keyId}"`);
    expect(header(dead[2], 'x-dlq-reason')).toBe(`key ${taskService.key.keyId} may not sign events on ${userTopic}`);
    expect(header(dead[4], 'x-dlq-reason')).toBe(`a task.deleted event (entityType task) on ${userTopic}`);
    // The dead letter keeps the original bytes and signature headers, for the investigation.
    expect(dead[3].value?.equals(editedBody)).toBe(true);
    expect(header(dead[3], 'x-signature')).toBe(genuineOfEdited.headers['x-signature']);

    const counted = (await app!.get(AuditMetrics).deadLettered.get()).values;
    expect(Object.fromEntries(counted.map((v) => [v.labels.code, v.value]))).toEqual({
      unsigned: 1,
      'unknown-key': 1,
      'key-not-allowed': 1,
      'bad-signature': 1,
      'wrong-topic': 1,
    });
  });

  it("should store task-service's genuine events on its own topic", async () => {
    const taskId = randomUUID();
    const deleted = createEnvelope(Events.TaskDeleted, {
      actorId: randomUUID(),
      entityId: taskId,
      payload: { taskId, deletedAt: new Date().toISOString(), version: 3 },
    });
    await kafka.producer.send({
      topic: taskTopic,
      acks: -1,
      messages: [{ key: taskId, ...signEnvelope(deleted, taskService.key) }],
    });
    const events = mongo.db.collection('event_logs');
    await waitFor(async () => (await events.countDocuments({ eventId: deleted.eventId })) === 1, 20_000);
  });

  it("should refuse task-service's genuine key on a user event that claims entityType task (wrong-topic)", async () => {
    // A compromised task-service may sign only task-topic messages: relabelling a user event does not get it in.
    const relabelled = { ...roleChange(randomUUID()), entityType: 'task' } as EventEnvelope;
    await kafka.producer.send({
      topic: taskTopic,
      acks: -1,
      messages: [{ key: relabelled.entityId, ...signEnvelope(relabelled, taskService.key) }],
    });
    const [dead] = await kafka.readAll(deadLetterTopic(taskTopic), 1);
    expect(dead.headers?.['x-dlq-error-code']?.toString()).toBe('wrong-topic');
    expect(dead.headers?.['x-dlq-reason']?.toString()).toBe(
      `a user.role_changed event (entityType task) on ${taskTopic}`,
    );
    expect(await mongo.db.collection('event_logs').countDocuments({ eventId: relabelled.eventId })).toBe(0);
  });
});
