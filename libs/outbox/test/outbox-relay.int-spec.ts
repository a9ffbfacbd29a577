import { EventEnvelope, Events } from '@taskflow/contracts';
import { KafkaPublisher } from '@taskflow/messaging-kafka';
import { createLogger } from '@taskflow/nest-kit';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { OutboxRelay, outboxTableSql, TransactionalOutbox } from '../src';
import { consumeAll, createScratchDatabase, createTopic, deleteTopic, KAFKA_BROKERS, uniqueName } from './support';
import { testEventSigningKey } from '@taskflow/testing';

jest.setTimeout(60_000);

const TABLE = 'test_outbox';
const logger = createLogger('outbox-test', 'silent');
const outbox = new TransactionalOutbox(TABLE);

describe('OutboxRelay (real PostgreSQL and Kafka)', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let dataSource: DataSource;
  let topic: string;
  const publishers: KafkaPublisher[] = [];

  const publisher = (brokers = KAFKA_BROKERS) => {
    const created = new KafkaPublisher({
      brokers,
      clientId: 'outbox-test',
      logger,
      connectionTimeoutMs: 500,
      retries: 1,
      signingKey: testEventSigningKey(),
    });
    publishers.push(created);
    return created;
  };

  /** One committed (or rolled back) write with its event; the row is pointed at this suite's own topic. */
  const write = async (rollback = false) => {
    const taskId = randomUUID();
    let envelope: EventEnvelope | undefined;
    await dataSource
      .transaction(async (manager) => {
        envelope = await outbox.append(
          manager,
          { actorId: randomUUID(), correlationId: 'test-correlation' },
          { definition: Events.TaskRestored, entityId: taskId, payload: { taskId, version: 2 } },
        );
        await manager.query(`UPDATE ${TABLE} SET topic = $1 WHERE event_id = $2`, [topic, envelope.eventId]);
        if (rollback) throw new Error('rolled back on purpose');
      })
      .catch((error: Error) => {
        if (!rollback) throw error;
      });
    return envelope!;
  };

  beforeAll(async () => {
    scratch = await createScratchDatabase('outbox_it');
    dataSource = await new DataSource({ type: 'postgres', url: scratch.url }).initialize();
    for (const statement of outboxTableSql(TABLE).up) await dataSource.query(statement);
  });

  beforeEach(async () => {
    topic = uniqueName('taskflow.test.outbox');
    await createTopic(topic);
    await dataSource.query(`TRUNCATE ${TABLE}`);
  });

  afterEach(() => deleteTopic(topic));

  afterAll(async () => {
    await Promise.all(publishers.map((created) => created.disconnect()));
    await dataSource?.destroy();
    await scratch?.drop();
  });

  it('should publish nothing for a write whose transaction rolled back', async () => {
    await write(true);
    const relay = new OutboxRelay({ dataSource, table: TABLE, publisher: publisher(), logger });
    expect(await relay.publishPending()).toBe(0);
    expect(await relay.stats()).toEqual({ pending: 0, oldestPendingAgeSeconds: 0 });
  });

  it('should keep writes while Kafka is unreachable and publish each exactly once after it returns', async () => {
    const down = new OutboxRelay({ dataSource, table: TABLE, publisher: publisher(['127.0.0.1:1']), logger });
    const writes = [await write(), await write(), await write()];
    await expect(down.publishPending()).rejects.toThrow();
    const [{ attempts }] = await dataSource.query(`SELECT min(attempts)::int AS attempts FROM ${TABLE}`);
    expect(attempts).toBe(1);
    expect((await down.stats()).pending).toBe(3);

    const up = new OutboxRelay({ dataSource, table: TABLE, publisher: publisher(), logger, pollIntervalMs: 50 });
    up.start();
    const received = await consumeAll(topic, writes.length);
    await up.stop();

    expect(received.map((message) => message.eventId).sort()).toEqual(writes.map((w) => w.eventId).sort());
    expect(received[0].headers).toMatchObject({ 'event-type': 'task.restored', 'correlation-id': 'test-correlation' });
    const byEvent = new Map(writes.map((w) => [w.eventId, w.entityId]));
    for (const message of received) expect(message.key).toBe(byEvent.get(message.eventId));
    expect((await up.stats()).pending).toBe(0);
  });

  it('should keep its backoff pause when new commits wake it, and still stop at once', async () => {
    const down = new OutboxRelay({
      dataSource,
      table: TABLE,
      publisher: publisher(['127.0.0.1:1']),
      logger,
      pollIntervalMs: 50,
      backoffBaseMs: 60_000,
    });
    await write();
    down.start();
    try {
      await expectBackoffKept(down);
    } finally {
      await down.stop(); // resolves well before the 60 s pause would have ended (Jest's timeout guards it)
    }
  });

  async function expectBackoffKept(down: OutboxRelay): Promise<void> {
    const attempts = async (): Promise<number> =>
      (await dataSource.query(`SELECT max(attempts)::int AS attempts FROM ${TABLE}`))[0].attempts;
    const deadline = Date.now() + 20_000;
    while ((await attempts()) < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await attempts()).toBe(1);

    // Each commit wakes the relay (as the services do); during a backoff that must not trigger a retry.
    for (let i = 0; i < 10; i += 1) {
      await write();
      down.wake();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await attempts()).toBe(1);
    expect((await down.stats()).pending).toBe(11);
  }

  it('should never send a row twice when two relays drain one backlog', async () => {
    const count = 300;
    const writes = await Promise.all(Array.from({ length: count }, () => write()));
    const relays = [0, 1].map(
      () => new OutboxRelay({ dataSource, table: TABLE, publisher: publisher(), logger, batchSize: 20 }),
    );
    const drain = async (relay: OutboxRelay) => {
      let sent = 0;
      while ((await relay.stats()).pending > 0) sent += await relay.publishPending();
      return sent;
    };
    const sentByRelay = await Promise.all(relays.map(drain));
    expect(sentByRelay[0] + sentByRelay[1]).toBe(count);

    const received = await consumeAll(topic, count);
    expect(received).toHaveLength(count);
    expect(new Set(received.map((message) => message.eventId)).size).toBe(count);
    expect(new Set(writes.map((w) => w.eventId))).toEqual(new Set(received.map((message) => message.eventId)));
  });

  it('should prune sent rows older than the retention', async () => {
    await write();
    const relay = new OutboxRelay({ dataSource, table: TABLE, publisher: publisher(), logger, retentionMs: 1000 });
    expect(await relay.publishPending()).toBe(1);
    await dataSource.query(`UPDATE ${TABLE} SET sent_at = now() - interval '1 hour'`);
    await write();
    expect(await relay.prune()).toBe(1);
    const [{ left }] = await dataSource.query(`SELECT count(*)::int AS left FROM ${TABLE}`);
    expect(left).toBe(1);
  });
});
