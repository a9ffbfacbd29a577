import { RpcContext, TaskRpc } from '@taskflow/contracts';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createScratchDatabase, insertUser, openDataSource, ScratchDatabase } from './fixtures/database';
import { RunningService, startService } from './fixtures/service';

// Issue 15: under an 8 s table lock at 50 req/s, readiness waited for a pooled connection behind the blocked
// requests and answered 503 (or timed out) for seconds: every replica would leave the balancer at once.
// Readiness now runs on a connection of its own, so a slow database slows requests, not membership.

const LOCK_MS = 8_000;
const RATE_PER_SECOND = 50;

describe('task-service readiness while the request pool is exhausted by a table lock', () => {
  let scratch: ScratchDatabase;
  let dataSource: DataSource;
  let service: RunningService;
  let actor: RpcContext;

  beforeAll(async () => {
    scratch = await createScratchDatabase('task_ready_it');
    dataSource = await openDataSource(scratch.config);
    await dataSource.runMigrations({ transaction: 'each' });
    actor = { actor: { id: await insertUser(dataSource), role: 'user' } };
    service = await startService(scratch.config, dataSource, ['127.0.0.1:1']);
  }, 60_000);

  afterAll(async () => {
    await service?.close();
    await dataSource?.destroy();
    await scratch?.drop();
  });

  it('should stay ready (200) while every pooled connection waits on LOCK TABLE tasks in another session', async () => {
    const fastify = service.app.getHttpAdapter().getInstance();
    const locker = new Client({ connectionString: scratch.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE');

    const requests: Promise<unknown>[] = [];
    const load = setInterval(() => {
      const pattern = requests.length % 2 === 0 ? TaskRpc.create.pattern : TaskRpc.list.pattern;
      const data = pattern === TaskRpc.create.pattern ? { title: 'under lock' } : {};
      requests.push(service.send(pattern, actor, data).catch((error: unknown) => error));
    }, 1000 / RATE_PER_SECOND);

    const readiness: { status: number; body: string }[] = [];
    let lockWaiters: number | undefined;
    const until = Date.now() + LOCK_MS;
    try {
      // Let the load fill the pool first.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      while (Date.now() < until) {
        const response = await fastify.inject({ method: 'GET', url: '/health/ready' });
        readiness.push({ status: response.statusCode, body: response.body });
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const { rows } = await locker.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      lockWaiters = rows[0].waiting;
    } finally {
      clearInterval(load);
      await locker.query('COMMIT');
      await locker.end();
    }
    await Promise.all(requests);

    expect({
      // The lock really held the request pool (10 connections) to the end of the window.
      poolBlocked: (lockWaiters ?? 0) >= 5,
      notReady: readiness.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.body.slice(0, 160)}`),
    }).toEqual({ poolBlocked: true, notReady: [] });
    expect(readiness.length).toBeGreaterThan(5);
  }, 60_000);
});
