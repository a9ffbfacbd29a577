import { RpcContext, TaskRpc, Topics, TaskView } from '@taskflow/contracts';
import { KafkaPublisher } from '@taskflow/messaging-kafka';
import { OutboxRelay } from '@taskflow/outbox';
import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { TASK_OUTBOX_TABLE } from '../src/migrations';
import { createScratchDatabase, insertUser, openDataSource, ScratchDatabase } from './fixtures/database';
import { KAFKA_BROKERS, logger, RunningService, startService } from './fixtures/service';
import { testEventSigningKey } from '@taskflow/testing';

jest.setTimeout(90_000);

const kafka = new Kafka({ clientId: 'task-outbox-test', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });

async function consume(topic: string, expected: number): Promise<{ key: string; eventId: string; type: string }[]> {
  const consumer = kafka.consumer({ groupId: `task-outbox-test-${randomBytes(6).toString('hex')}` });
  const received: { key: string; eventId: string; type: string }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const envelope = JSON.parse(String(message.value));
      received.push({ key: String(message.key), eventId: envelope.eventId, type: envelope.type });
    },
  });
  const deadline = Date.now() + 30_000;
  while (received.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1500)); // a quiet period, so duplicates would show up
  await consumer.disconnect();
  return received;
}

/**
 * The service writes to the real task topic; these tests point the pending rows at a topic of their own
 * (after checking the service chose the task topic) so the shared topic gets no test events.
 */
describe('task-service outbox to Kafka (real PostgreSQL and Kafka)', () => {
  let scratch: ScratchDatabase;
  let dataSource: DataSource;
  let service: RunningService;
  let actor: RpcContext;
  let topic: string;
  const admin = kafka.admin();
  const publishers: KafkaPublisher[] = [];
  const relays: OutboxRelay[] = [];

  const relay = (brokers: string[]) => {
    const publisher = new KafkaPublisher({
      brokers,
      clientId: 'task-outbox-test',
      logger,
      connectionTimeoutMs: 500,
      signingKey: testEventSigningKey(),
    });
    publishers.push(publisher);
    const created = new OutboxRelay({
      dataSource,
      table: TASK_OUTBOX_TABLE,
      publisher,
      logger,
      pollIntervalMs: 50,
      batchSize: 25,
      backoffBaseMs: 100,
      backoffMaxMs: 400,
    });
    relays.push(created);
    return created;
  };

  const retargetPending = async () => {
    const topics: { topic: string }[] = await dataSource.query(
      `SELECT DISTINCT topic FROM task_outbox WHERE sent_at IS NULL`,
    );
    expect(topics).toEqual([{ topic: Topics.task }]);
    await dataSource.query(`UPDATE task_outbox SET topic = $1 WHERE sent_at IS NULL`, [topic]);
  };

  const eventIds = async (): Promise<string[]> =>
    (await dataSource.query(`SELECT event_id FROM task_outbox ORDER BY event_id`)).map(
      (row: { event_id: string }) => row.event_id,
    );

  beforeAll(async () => {
    scratch = await createScratchDatabase('task_outbox_it');
    dataSource = await openDataSource(scratch.config);
    await dataSource.runMigrations({ transaction: 'each' });
    actor = { actor: { id: await insertUser(dataSource), role: 'user' }, correlationId: 'outbox-it' };
    service = await startService(scratch.config, dataSource, ['127.0.0.1:1']);
    await admin.connect();
  });

  beforeEach(async () => {
    topic = `taskflow.test.task-outbox.${Date.now()}.${randomBytes(3).toString('hex')}`;
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
    await dataSource.query(`TRUNCATE task_outbox`);
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((created) => created.stop()));
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  });

  afterAll(async () => {
    await Promise.all(publishers.map((publisher) => publisher.disconnect()));
    await admin.disconnect();
    await service?.close();
    await dataSource?.destroy();
    await scratch?.drop();
  });

  it('should accept writes while Kafka is unreachable and publish each exactly once when it is back', async () => {
    const down = relay(['127.0.0.1:1']);
    down.start();
    const task = await service.send<TaskView>(TaskRpc.create.pattern, actor, { title: 'while Kafka is down' });
    await service.send(TaskRpc.update.pattern, actor, { id: task.id, version: 1, title: 'still down' });
    await service.send(TaskRpc.changeStatus.pattern, actor, { id: task.id, version: 2, status: 'done' });
    // A write whose transaction rolls back (unknown assignee) must publish nothing.
    await expect(
      service.send(TaskRpc.assign.pattern, actor, { id: task.id, version: 3, assigneeId: randomUUID() }),
    ).rejects.toMatchObject({ code: 'TASK.UNKNOWN_USER' });

    const pendingRows = () =>
      dataSource.query(
        `SELECT count(*)::int AS pending, min(attempts)::int AS attempts FROM task_outbox WHERE sent_at IS NULL`,
      );
    const deadline = Date.now() + 20_000;
    while ((await pendingRows())[0].attempts < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const [{ pending, attempts }] = await pendingRows();
    expect(pending).toBe(3);
    expect(attempts).toBeGreaterThanOrEqual(1);
    await down.stop();

    await retargetPending();
    relay(KAFKA_BROKERS).start(); // Kafka "returns"
    const received = await consume(topic, 3);
    expect(received.map((message) => message.type)).toEqual(['task.created', 'task.updated', 'task.status_changed']);
    expect(received.every((message) => message.key === task.id)).toBe(true);
    expect(received.map((message) => message.eventId).sort()).toEqual(await eventIds());
  });

  it('should never send a row twice when two relays drain one backlog', async () => {
    const writes = 120;
    for (let i = 0; i < writes; i++) await service.send(TaskRpc.create.pattern, actor, { title: `backlog ${i}` });
    await retargetPending();
    relay(KAFKA_BROKERS).start();
    relay(KAFKA_BROKERS).start();
    const received = await consume(topic, writes);
    expect(received).toHaveLength(writes);
    expect(received.map((message) => message.eventId).sort()).toEqual(await eventIds());
    const [{ pending }] = await dataSource.query(
      `SELECT count(*)::int AS pending FROM task_outbox WHERE sent_at IS NULL`,
    );
    expect(pending).toBe(0);
  });
});
