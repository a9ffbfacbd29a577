import { RpcContext, TaskPage, TaskRpc, TaskStats, TaskView } from '@taskflow/contracts';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createScratchDatabase, insertUser, openDataSource, ScratchDatabase, testConfig } from './fixtures/database';
import { RunningService, startService } from './fixtures/service';

jest.setTimeout(60_000);

describe('task-service over TCP request/reply (real PostgreSQL)', () => {
  let scratch: ScratchDatabase;
  let dataSource: DataSource;
  let appDataSource: DataSource;
  let service: RunningService;
  let alice: RpcContext;
  let bob: RpcContext;
  let admin: RpcContext;

  const as = (context: RpcContext) => ({
    create: (data: object) => service.send<TaskView>(TaskRpc.create.pattern, context, { title: 'A task', ...data }),
    get: (id: string) => service.send<TaskView>(TaskRpc.get.pattern, context, { id }),
    update: (data: object) => service.send<TaskView>(TaskRpc.update.pattern, context, data),
    changeStatus: (data: object) => service.send<TaskView>(TaskRpc.changeStatus.pattern, context, data),
    assign: (data: object) => service.send<TaskView>(TaskRpc.assign.pattern, context, data),
    delete: (data: object) => service.send<{ ok: true }>(TaskRpc.delete.pattern, context, data),
    restore: (id: string) => service.send<TaskView>(TaskRpc.restore.pattern, context, { id }),
    list: (query: object = {}) => service.send<TaskPage>(TaskRpc.list.pattern, context, query),
    stats: (query: object = {}) => service.send<TaskStats>(TaskRpc.stats.pattern, context, query),
  });

  const outboxFor = (
    taskId: string,
  ): Promise<{ event_type: string; topic: string; payload: { actorId: string; correlationId: string } }[]> =>
    dataSource.query(`SELECT event_type, topic, payload FROM task_outbox WHERE message_key = $1 ORDER BY created_at`, [
      taskId,
    ]);

  beforeAll(async () => {
    scratch = await createScratchDatabase('task_rpc_it');
    dataSource = await openDataSource(scratch.config);
    await dataSource.runMigrations({ transaction: 'each' });
    alice = { actor: { id: await insertUser(dataSource), role: 'user' }, correlationId: 'corr-alice' };
    bob = { actor: { id: await insertUser(dataSource), role: 'user' }, correlationId: 'corr-bob' };
    admin = { actor: { id: await insertUser(dataSource, 'admin'), role: 'admin' } };
    // The service runs as the application role (DML only), as in production; the owner role verifies.
    appDataSource = await openDataSource(testConfig(await scratch.createAppRole()));
    service = await startService(scratch.config, appDataSource, ['127.0.0.1:1']);
  });

  afterAll(async () => {
    await service?.close();
    await appDataSource?.destroy();
    await dataSource?.destroy();
    await scratch?.drop();
  });

  it('should create a task for the actor and append task.created in the same transaction', async () => {
    const due = new Date(Date.now() + 86_400_000).toISOString();
    const task = await as(alice).create({ title: 'Write tests', priority: 'high', dueDate: due });
    expect(task).toMatchObject({
      title: 'Write tests',
      status: 'todo',
      priority: 'high',
      creatorId: alice.actor!.id,
      assigneeId: null,
      dueDate: due,
      completedAt: null,
      version: 1,
    });
    await expect(as(alice).get(task.id)).resolves.toEqual(task);
    const events = await outboxFor(task.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event_type: 'task.created',
      topic: 'taskflow.task.events.v1',
      payload: { actorId: alice.actor!.id, correlationId: 'corr-alice' },
    });
  });

  it('should answer validation errors with field errors and reject unknown fields', async () => {
    await expect(as(alice).create({ title: '', priority: 'critical', owner: 'x' })).rejects.toMatchObject({
      kind: 'validation',
      code: 'TASK.VALIDATION_FAILED',
      fieldErrors: expect.arrayContaining([
        expect.objectContaining({ field: 'title' }),
        expect.objectContaining({ field: 'priority' }),
        { field: 'owner', reason: 'property owner should not exist' },
      ]),
    });
    await expect(service.send(TaskRpc.get.pattern, {}, { id: randomUUID() })).rejects.toMatchObject({
      kind: 'unauthorized',
    });
  });

  it('should reject a past due date and an unknown assignee without writing an event', async () => {
    await expect(as(alice).create({ dueDate: '2020-01-01T00:00:00.000Z' })).rejects.toMatchObject({
      kind: 'validation',
      code: 'TASK.INVALID_DUE_DATE',
    });
    await expect(as(alice).create({ assigneeId: randomUUID() })).rejects.toMatchObject({
      kind: 'validation',
      code: 'TASK.UNKNOWN_USER',
    });
    const [{ orphans }] = await dataSource.query(
      `SELECT count(*)::int AS orphans FROM task_outbox o WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id::text = o.message_key)`,
    );
    expect(orphans).toBe(0);
  });

  it('should let exactly one of two concurrent updates with the same version win', async () => {
    const task = await as(alice).create({});
    const results = await Promise.allSettled([
      as(alice).update({ id: task.id, version: 1, title: 'first' }),
      as(alice).update({ id: task.id, version: 1, title: 'second' }),
    ]);
    const fulfilled = results.filter((result) => result.status === 'fulfilled');
    const rejected = results.filter((result) => result.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({
      kind: 'conflict',
      code: 'TASK.VERSION_CONFLICT',
      details: { currentVersion: 2 },
    });
    const stored = await as(alice).get(task.id);
    expect(stored.version).toBe(2);
    expect(stored.title).toBe((fulfilled[0] as PromiseFulfilledResult<TaskView>).value.title);
    expect((await outboxFor(task.id)).map((event) => event.event_type)).toEqual(['task.created', 'task.updated']);
  });

  it('should hide a task from another user (not found) but show it to its assignee and an admin', async () => {
    const task = await as(alice).create({});
    const notFound = { kind: 'not_found', code: 'TASK.NOT_FOUND' };
    await expect(as(bob).get(task.id)).rejects.toMatchObject(notFound);
    await expect(as(bob).update({ id: task.id, version: 1, title: 'mine now' })).rejects.toMatchObject(notFound);
    await expect(as(bob).delete({ id: task.id })).rejects.toMatchObject(notFound);
    expect((await as(bob).list()).items.map((item) => item.id)).not.toContain(task.id);
    await expect(as(admin).get(task.id)).resolves.toMatchObject({ id: task.id });

    await as(alice).assign({ id: task.id, version: 1, assigneeId: bob.actor!.id });
    await expect(as(bob).get(task.id)).resolves.toMatchObject({ assigneeId: bob.actor!.id, version: 2 });
    expect((await as(alice).get(task.id)).title).toBe('A task');
  });

  it('should set completedAt on done and clear it when reopened', async () => {
    const task = await as(alice).create({});
    const done = await as(alice).changeStatus({ id: task.id, version: 1, status: 'done' });
    expect(done.completedAt).not.toBeNull();
    const reopened = await as(alice).changeStatus({ id: task.id, version: 2, status: 'in_progress' });
    expect(reopened).toMatchObject({ status: 'in_progress', completedAt: null, version: 3 });
    const events = await outboxFor(task.id);
    expect(events.map((event) => event.event_type)).toEqual([
      'task.created',
      'task.status_changed',
      'task.status_changed',
    ]);
  });

  it('should assign and unassign, soft delete and restore, each with its event', async () => {
    const task = await as(alice).create({});
    await as(alice).assign({ id: task.id, version: 1, assigneeId: bob.actor!.id });
    const unassigned = await as(alice).assign({ id: task.id, version: 2, assigneeId: null });
    expect(unassigned.assigneeId).toBeNull();
    await expect(as(alice).delete({ id: task.id, version: 3 })).resolves.toEqual({
      ok: true,
      affectedUserIds: [alice.actor!.id],
    });
    await expect(as(alice).get(task.id)).rejects.toMatchObject({ kind: 'not_found' });
    const restored = await as(alice).restore(task.id);
    expect(restored).toMatchObject({ deletedAt: null, version: 5 });
    expect((await outboxFor(task.id)).map((event) => event.event_type)).toEqual([
      'task.created',
      'task.assigned',
      'task.assigned',
      'task.deleted',
      'task.restored',
    ]);
  });

  it('should filter, sort and page through the list with a keyset cursor', async () => {
    const carol: RpcContext = { actor: { id: await insertUser(dataSource), role: 'user' } };
    const created: TaskView[] = [];
    for (let i = 0; i < 7; i++) {
      created.push(await as(carol).create({ title: `Carol ${i} report`, priority: i % 2 ? 'low' : 'urgent' }));
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page: TaskPage = await as(carol).list({ limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(created.map((task) => task.id).reverse());

    const urgent = await as(carol).list({ priority: ['urgent'], q: 'REPORT', sort: 'createdAt', order: 'asc' });
    expect(urgent.items.map((item) => item.title)).toEqual([
      'Carol 0 report',
      'Carol 2 report',
      'Carol 4 report',
      'Carol 6 report',
    ]);
    await expect(as(carol).list({ limit: 101 })).rejects.toMatchObject({ kind: 'validation' });
  });

  it('should list overdue tasks and count them in the stats', async () => {
    const dave: RpcContext = { actor: { id: await insertUser(dataSource), role: 'user' } };
    const task = await as(dave).create({ title: 'late', dueDate: new Date(Date.now() + 1000).toISOString() });
    await as(dave).create({ title: 'done', status: 'done' });
    // Make it overdue without breaking chk_due_date_future: move its creation back in time.
    await dataSource.query(
      `UPDATE tasks SET created_at = now() - interval '2 days', due_date = now() - interval '1 day' WHERE id = $1`,
      [task.id],
    );
    expect((await as(dave).list({ overdue: true })).items.map((item) => item.id)).toEqual([task.id]);
    await expect(as(dave).stats()).resolves.toEqual({
      total: 2,
      byStatus: { todo: 1, in_progress: 0, review: 0, done: 1 },
      byPriority: { low: 0, medium: 2, high: 0, urgent: 0 },
      overdue: 1,
    });
    await expect(as(alice).stats({ userId: dave.actor!.id })).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(as(admin).stats({ userId: dave.actor!.id })).resolves.toMatchObject({ total: 2 });
  });

  it('should run as an application role that cannot change the schema', async () => {
    await expect(appDataSource.query(`DROP TABLE task_outbox`)).rejects.toThrow(/must be owner/);
    await expect(appDataSource.query(`CREATE TABLE intruder (id int)`)).rejects.toThrow(/permission denied/);
    await expect(appDataSource.query(`TRUNCATE tasks`)).rejects.toThrow(/permission denied/);
  });

  it('should serve health, readiness (Kafka down = degraded, still ready) and metrics over HTTP', async () => {
    const inject = service.app.getHttpAdapter().getInstance().inject;
    const http = service.app.getHttpAdapter().getInstance();
    void inject;
    const ready = await http.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      status: 'degraded',
      checks: expect.arrayContaining([
        expect.objectContaining({ name: 'postgres', status: 'up' }),
        expect.objectContaining({ name: 'schema', status: 'up' }),
        expect.objectContaining({ name: 'kafka', status: 'down' }),
      ]),
    });
    const metrics = await http.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/taskflow_db_pool_max_connections\{pool="primary",app="task-service"\} \d+/);
  });
});
