import { CacheKeys } from '@taskflow/cache';
import {
  createScratchDatabase,
  ScratchDatabase,
  ServiceProcess,
  startDomainServices,
  waitFor,
} from '@taskflow/testing';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Gateway, redisDbUrl, signUp, startGateway } from './support/gateway-harness';

// A retried POST after an ambiguous failure: the service is paused (SIGSTOP) until the gateway's RPC deadline
// passes, the write commits when it resumes, and the client retries with the same Idempotency-Key. Real
// user-service and task-service (child processes) on a scratch database; the gateway on Redis DB 13.
jest.setTimeout(180_000);
const REDIS_URL = redisDbUrl(13);
const RPC_TIMEOUT_MS = 2000;

describe('Idempotency-Key across a paused service', () => {
  let database: ScratchDatabase;
  let services: ServiceProcess[] = [];
  let user: ServiceProcess;
  let task: ServiceProcess;
  let gateway: Gateway;
  let redis: Redis;
  let pg: Client;
  let alice: Awaited<ReturnType<typeof signUp>>;

  const createTask = (key: string, payload: object) =>
    gateway.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: { ...alice.auth, 'idempotency-key': key },
      payload,
    });
  const tasksTitled = async (title: string): Promise<{ id: string }[]> =>
    (await pg.query('SELECT id FROM tasks WHERE title = $1', [title])).rows;
  /** The service holds the request while stopped: the gateway's deadline passes, the write commits on resume. */
  const pausedDuring = async <T>(service: ServiceProcess, during: () => Promise<T>): Promise<T> => {
    service.child.kill('SIGSTOP');
    try {
      return await during();
    } finally {
      service.child.kill('SIGCONT');
    }
  };

  beforeAll(async () => {
    process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
    database = await createScratchDatabase('gateway_idem');
    const domain = await startDomainServices(
      { DATABASE_URL: database.url, MIGRATIONS_RUN: 'true', NODE_ENV: 'test', BCRYPT_COST: '4' },
      (service) => services.push(service),
    );
    ({ user, task } = domain);
    gateway = await startGateway({
      REDIS_URL,
      USER_SERVICE_PORT: String(domain.userRpcPort),
      TASK_SERVICE_PORT: String(domain.taskRpcPort),
      RPC_TIMEOUT_MS: String(RPC_TIMEOUT_MS),
      RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
    });
    redis = new Redis(REDIS_URL);
    pg = new Client({ connectionString: database.url });
    await pg.connect();
    alice = await signUp(gateway, `alice-${randomUUID()}@example.com`);
  });

  afterAll(async () => {
    for (const service of services) service.child.kill('SIGCONT');
    redis?.disconnect();
    await pg?.end();
    await gateway?.close();
    await Promise.all(services.map((service) => service.stop()));
    services = [];
    await database?.drop();
  });

  it('should answer the retry with the task that committed after the timeout, and create it once', async () => {
    const key = randomUUID();
    const payload = { title: `paused-${key}`, priority: 'high' };
    const first = await pausedDuring(task, () => createTask(key, payload));
    expect(first.statusCode).toBe(503);
    expect(first.json().code).toBe('SERVICE.UNAVAILABLE');
    expect(first.headers['retry-after']).toBeDefined();
    // The write was only delayed: it commits once task-service runs again.
    await waitFor(async () => (await tasksTitled(payload.title)).length === 1, { timeoutMs: 30_000 });

    const retry = await createTask(key, payload);
    expect(retry.statusCode).toBe(201);
    const [row] = await tasksTitled(payload.title);
    expect(retry.json()).toMatchObject({ id: row.id, title: payload.title, version: 1 });
    expect(retry.headers.location).toBe(`/api/v1/tasks/${row.id}`);
    const again = await createTask(key, payload);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(retry.json());
    expect(await tasksTitled(payload.title)).toHaveLength(1);
  });

  it('should resolve concurrent retries of an in-doubt key to one task', async () => {
    const key = randomUUID();
    const payload = { title: `concurrent-${key}` };
    const [first, retries] = await pausedDuring(task, async () => {
      const original = await createTask(key, payload);
      // Still paused: the retries queue behind the original and race it for the key on resume.
      const racing = Array.from({ length: 4 }, () => createTask(key, payload));
      await new Promise((resolve) => setTimeout(resolve, 200));
      return [original, racing] as const;
    });
    expect(first.statusCode).toBe(503);
    const answers = await Promise.all(retries);
    await waitFor(async () => (await tasksTitled(payload.title)).length === 1, { timeoutMs: 30_000 });
    const final = await createTask(key, payload);
    expect(final.statusCode).toBe(201);
    const [row] = await tasksTitled(payload.title);
    expect(final.json().id).toBe(row.id);
    for (const answer of answers) {
      // A retry the loaded box could not finish within the deadline stays a documented 503.
      if (answer.statusCode === 503) expect(answer.headers['retry-after']).toBeDefined();
      else expect([answer.statusCode, answer.json().id]).toEqual([201, row.id]);
    }
    expect(await tasksTitled(payload.title)).toHaveLength(1);
  });

  it('should answer from PostgreSQL when the gateway lost its record, and 422 for another body', async () => {
    const key = randomUUID();
    const payload = { title: `lost-record-${key}` };
    const first = await createTask(key, payload);
    expect(first.statusCode).toBe(201);
    await redis.del(CacheKeys.idempotency(alice.id, key));

    const retry = await createTask(key, payload);
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toEqual(first.json());
    await redis.del(CacheKeys.idempotency(alice.id, key));
    const other = await createTask(key, { title: 'another task' });
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('IDEMPOTENCY.KEY_REUSED');
    expect(await tasksTitled(payload.title)).toHaveLength(1);
    expect(await tasksTitled('another task')).toHaveLength(0);
  });

  it('should release the key after a 4xx, so a corrected request may use it', async () => {
    const key = randomUUID();
    const invalid = await createTask(key, { title: `bad-${key}`, assigneeId: randomUUID() });
    expect(invalid.statusCode).toBe(400);
    const fixed = await createTask(key, { title: `bad-${key}` });
    expect(fixed.statusCode).toBe(201);
  });

  it('should register once across a paused user-service and refuse a replay with another password', async () => {
    const key = randomUUID();
    const email = `paused-${key}@example.com`;
    const register = (password: string) =>
      gateway.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        headers: { 'idempotency-key': key },
        payload: { email, password },
      });
    // Emails are encrypted at rest: the users this test registered are those created since it started.
    const [{ now: since }] = (await pg.query('SELECT now()')).rows;
    const first = await pausedDuring(user, () => register('correct-horse-battery'));
    expect(first.statusCode).toBe(503);
    const users = async () => (await pg.query('SELECT id FROM users WHERE created_at >= $1', [since])).rows;
    await waitFor(async () => (await users()).length === 1, { timeoutMs: 30_000 });

    const retry = await register('correct-horse-battery');
    expect(retry.statusCode).toBe(201);
    expect(retry.json().id).toBe((await users())[0].id);
    expect(JSON.stringify(retry.json())).not.toMatch(/password/i);
    await redis.del(CacheKeys.idempotency('ip-127.0.0.1', key));
    const otherPassword = await register('another-password-1');
    expect(otherPassword.statusCode).toBe(422);
    expect(await users()).toHaveLength(1);
  });
});
