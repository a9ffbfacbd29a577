import { Events, parseEnvelope, Topics } from '@taskflow/contracts';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { outboxTableSql, TransactionalOutbox, wakeAfterOutboxCommit } from '../src';
import { createScratchDatabase } from './support';

jest.setTimeout(30_000);

const TABLE = 'test_outbox';

describe('TransactionalOutbox.append (real PostgreSQL)', () => {
  const outbox = new TransactionalOutbox(TABLE);
  const ctx = {
    actorId: randomUUID(),
    correlationId: 'corr-outbox-1',
    metadata: { userAgent: 'jest', ipAddress: '203.0.113.7', sessionId: 'sess-1' },
  };
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let dataSource: DataSource;
  const rows = (): Promise<Record<string, unknown>[]> =>
    dataSource.query(`SELECT topic, message_key, event_id, event_type, payload, sent_at FROM ${TABLE}`);
  const restored = (taskId: string) =>
    ({ definition: Events.TaskRestored, entityId: taskId, payload: { taskId, version: 2 } }) as const;

  beforeAll(async () => {
    scratch = await createScratchDatabase('outbox_append_it');
    dataSource = await new DataSource({ type: 'postgres', url: scratch.url }).initialize();
    for (const statement of outboxTableSql(TABLE).up) await dataSource.query(statement);
    wakeAfterOutboxCommit(dataSource, () => (wakes += 1));
  });

  let wakes = 0;
  beforeEach(() => (wakes = 0));

  beforeEach(() => dataSource.query(`TRUNCATE ${TABLE}`));

  afterAll(async () => {
    await dataSource?.destroy();
    await scratch?.drop();
  });

  it('should insert the envelope with its topic, key, event id and type inside the transaction', async () => {
    const taskId = randomUUID();
    const envelope = await dataSource.transaction((manager) => outbox.append(manager, ctx, restored(taskId)));

    expect(envelope).toMatchObject({
      type: 'task.restored',
      schemaVersion: 1,
      entityType: 'task',
      entityId: taskId,
      actorId: ctx.actorId,
      correlationId: ctx.correlationId,
      metadata: { ...ctx.metadata, timestamp: envelope.occurredAt },
      payload: { taskId, version: 2 },
    });
    const [row] = await rows();
    expect(row).toEqual({
      topic: Topics.task,
      message_key: taskId,
      event_id: envelope.eventId,
      event_type: 'task.restored',
      payload: JSON.parse(JSON.stringify(envelope)),
      sent_at: null,
    });
    // What the relay will publish is what consumers accept.
    expect(parseEnvelope(row.payload)).toEqual({ ok: true, envelope: row.payload });
  });

  it('should put each event on the topic of its definition', async () => {
    const userId = randomUUID();
    await dataSource.transaction((manager) =>
      outbox.append(manager, ctx, {
        definition: Events.UserLogin,
        entityId: userId,
        payload: { userId, sessionId: 'sess-1' },
      }),
    );
    expect(await rows()).toEqual([expect.objectContaining({ topic: Topics.user, event_type: 'user.login' })]);
  });

  it('should refuse to append outside a transaction, and write nothing', async () => {
    await expect(outbox.append(dataSource.manager, ctx, restored(randomUUID()))).rejects.toThrow(
      'TransactionalOutbox.append must run inside the transaction of the state change',
    );
    expect(await rows()).toEqual([]);
  });

  it('should roll the row back with the transaction', async () => {
    const failed = dataSource.transaction(async (manager) => {
      await outbox.append(manager, ctx, restored(randomUUID()));
      expect(await manager.query(`SELECT count(*)::int AS n FROM ${TABLE}`)).toEqual([{ n: 1 }]);
      throw new Error('the state change failed');
    });
    await expect(failed).rejects.toThrow('the state change failed');
    expect(await rows()).toEqual([]);
  });

  it('should refuse a payload that breaks its definition before inserting', async () => {
    const taskId = randomUUID();
    const broken = dataSource.transaction((manager) =>
      outbox.append(manager, ctx, {
        definition: Events.TaskRestored,
        entityId: taskId,
        // @ts-expect-error the compiler refuses it first: `version` is a number
        payload: { taskId, version: 'two' },
      }),
    );
    await expect(broken).rejects.toThrow(/invalid task.restored event: payload: version/);
    expect(await rows()).toEqual([]);
  });

  it('should refuse a table name that is not a plain identifier', () => {
    expect(() => new TransactionalOutbox('x"; DROP TABLE users; --')).toThrow(/invalid outbox table name/);
  });

  it('should wake the relay after a commit that appended, and not for a rollback or a transaction without an event', async () => {
    await dataSource.transaction((manager) => outbox.append(manager, ctx, restored(randomUUID())));
    expect(wakes).toBe(1);
    await expect(
      dataSource.transaction(async (manager) => {
        await outbox.append(manager, ctx, restored(randomUUID()));
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    await dataSource.transaction((manager) => manager.query('SELECT 1'));
    expect(wakes).toBe(1);
    // A query runner reused after a rolled-back append carries no stale mark into its next transaction.
    const runner = dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await outbox.append(runner.manager, ctx, restored(randomUUID()));
      await runner.rollbackTransaction();
      await runner.startTransaction();
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    expect(wakes).toBe(1);
  });
});
