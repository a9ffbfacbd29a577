import { CacheKeys } from '@taskflow/cache';
import { createServiceDatabase, ServiceDatabase, ServiceProcess, startDomainServices } from '@taskflow/testing';
import { Redis } from 'ioredis';
import { flushDb, Gateway, redisDbUrl, signUp, startGateway } from './support/gateway-harness';

// End to end: the real user-service and task-service (child processes from their sources, on a
// scratch PostgreSQL database, publishing to the real Kafka) behind the gateway, on Redis DB 8.
jest.setTimeout(120_000);
const REDIS_URL = redisDbUrl(8);

describe('e2e: gateway + user-service + task-service', () => {
  let database: ServiceDatabase;
  let services: ServiceProcess[] = [];
  let gateway: Gateway;
  let redis: Redis;

  beforeAll(async () => {
    process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
    database = await createServiceDatabase('gateway_e2e');
    const { userRpcPort, taskRpcPort } = await startDomainServices(
      database,
      // user-service's authenticate throttle keeps its default (10 per email and minute), on this suite's Redis DB.
      { MIGRATIONS_RUN: 'true', NODE_ENV: 'test', REDIS_URL },
      (service) => services.push(service),
    );
    await flushDb(REDIS_URL);
    gateway = await startGateway({
      REDIS_URL,
      USER_SERVICE_PORT: String(userRpcPort),
      TASK_SERVICE_PORT: String(taskRpcPort),
      RPC_TIMEOUT_MS: '5000',
      RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
    });
    redis = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    redis?.disconnect();
    await gateway?.close();
    await Promise.all(services.map((service) => service.stop()));
    services = [];
    await database?.drop();
  });

  it("should answer 429 with Retry-After when user-service's own authenticate throttle refuses (issue 12)", async () => {
    const victim = `victim-${Date.now()}@example.com`;
    const bystander = `bystander-${Date.now()}@example.com`;
    await signUp(gateway, victim);
    const login = (email: string, password: string) =>
      gateway.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    // signUp logged in once; 9 more guesses fill the window of 10 (the gateway's own login limit is 1000 here).
    for (let i = 0; i < 9; i++) expect((await login(victim, `guess-${i}-guess`)).statusCode).toBe(401);
    const refused = await login(victim, 'correct-horse-battery');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ status: 429, code: 'USER.AUTHENTICATE_THROTTLED' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Someone else signs in as usual.
    await signUp(gateway, bystander);
    expect((await login(bystander, 'correct-horse-battery')).statusCode).toBe(200);
  });

  it('should run the full task lifecycle through HTTP', async () => {
    const alice = await signUp(gateway, `alice-${Date.now()}@example.com`);
    const bob = await signUp(gateway, `bob-${Date.now()}@example.com`);
    const send = (method: string, url: string, auth: object, payload?: object, headers: object = {}) =>
      gateway.inject({ method: method as 'GET', url, headers: { ...auth, ...headers }, payload });

    const payload = { title: 'Ship the gateway', priority: 'high' };
    const created = await send('POST', '/api/v1/tasks', alice.auth, payload, { 'idempotency-key': 'e2e-create' });
    expect(created.statusCode).toBe(201);
    const retried = await send('POST', '/api/v1/tasks', alice.auth, payload, { 'idempotency-key': 'e2e-create' });
    expect(retried.json()).toEqual(created.json());
    const task = created.json();
    expect(task).toMatchObject({ status: 'todo', creatorId: alice.id, version: 1 });
    const url = `/api/v1/tasks/${task.id}`;

    const first = await send('GET', url, alice.auth);
    expect(first.headers).toMatchObject({ etag: '"v1"', 'cache-status': 'taskflow-gateway; fwd=miss; stored' });
    expect((await send('GET', url, alice.auth)).headers['cache-status']).toBe('taskflow-gateway; hit');
    expect(await redis.ttl(CacheKeys.task(task.id))).toBeGreaterThan(0);
    expect((await send('GET', url, alice.auth, undefined, { 'if-none-match': '"v1"' })).statusCode).toBe(304);

    expect((await send('PATCH', url, alice.auth, { title: 'x' }, { 'if-match': '"v7"' })).statusCode).toBe(412);
    const updated = await send('PATCH', url, alice.auth, { title: 'Ship it' }, { 'if-match': '"v1"' });
    expect(updated.statusCode).toBe(200);
    expect(updated.headers.etag).toBe('"v2"');
    expect((await send('GET', url, alice.auth)).json().title).toBe('Ship it');

    const status = await send('PATCH', `${url}/status`, alice.auth, { status: 'in_progress', version: 2 });
    expect(status.json()).toMatchObject({ status: 'in_progress', version: 3 });
    expect((await send('GET', url, bob.auth)).statusCode).toBe(404);
    const assigned = await send('PATCH', `${url}/assignee`, alice.auth, { assigneeId: bob.id, version: 3 });
    expect(assigned.json()).toMatchObject({ assigneeId: bob.id, version: 4 });
    expect((await send('GET', url, bob.auth)).statusCode).toBe(200);
    const bobsList = await send('GET', '/api/v1/tasks', bob.auth);
    expect(bobsList.json().items.map((t: { id: string }) => t.id)).toContain(task.id);

    const search = await send('GET', '/api/v1/tasks/search?q=ship', alice.auth);
    expect(search.json().items.map((t: { id: string }) => t.id)).toContain(task.id);
    const stats = await send('GET', '/api/v1/tasks/stats/me', alice.auth);
    expect(stats.json()).toMatchObject({ total: 1, byStatus: { in_progress: 1 } });

    expect((await send('DELETE', url, alice.auth, undefined, { 'if-match': '"v4"' })).statusCode).toBe(204);
    expect((await send('GET', url, alice.auth)).statusCode).toBe(404);
    const restored = await send('POST', `${url}/restore`, alice.auth);
    expect(restored.statusCode).toBe(200);
    expect((await send('GET', url, alice.auth)).statusCode).toBe(200);

    expect((await send('POST', '/api/v1/auth/logout', alice.auth)).statusCode).toBe(204);
    expect((await send('GET', url, alice.auth)).statusCode).toBe(401);
  });

  it('should let exactly one of concurrent writers of one version win', async () => {
    const carol = await signUp(gateway, `carol-${Date.now()}@example.com`);
    const task = (
      await gateway.inject({ method: 'POST', url: '/api/v1/tasks', headers: carol.auth, payload: { title: 'race' } })
    ).json();
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        gateway.inject({
          method: 'PATCH',
          url: `/api/v1/tasks/${task.id}`,
          headers: carol.auth,
          payload: { title: `writer ${i}`, version: 1 },
        }),
      ),
    );
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 409, 409, 409, 409, 409]);
  });

  it("should never show one user another user's task, cached or not (BOLA)", async () => {
    const dan = await signUp(gateway, `dan-${Date.now()}@example.com`);
    const eve = await signUp(gateway, `eve-${Date.now()}@example.com`);
    const task = (
      await gateway.inject({ method: 'POST', url: '/api/v1/tasks', headers: dan.auth, payload: { title: 'secret' } })
    ).json();
    const url = `/api/v1/tasks/${task.id}`;
    await gateway.inject({ method: 'GET', url, headers: dan.auth });
    const read = await gateway.inject({ method: 'GET', url, headers: eve.auth });
    expect(read.statusCode).toBe(404);
    expect(read.body).not.toContain('secret');
    const write = await gateway.inject({
      method: 'PATCH',
      url,
      headers: eve.auth,
      payload: { title: 'x', version: 1 },
    });
    expect(write.statusCode).toBe(404);
  });
  it('should walk pages with the real task-service cursors, every page cached under its number', async () => {
    const carol = await signUp(gateway, `carol-${Date.now()}@example.com`);
    const get = (url: string) => gateway.inject({ method: 'GET', url, headers: carol.auth });
    for (let i = 0; i < 3; i++) {
      const created = await gateway.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: carol.auth,
        payload: { title: `Walk ${i}` },
      });
      expect(created.statusCode).toBe(201);
    }
    for (const base of ['/api/v1/tasks?limit=2', '/api/v1/tasks/search?q=walk&limit=2']) {
      const first = await get(base);
      expect(first.json().items).toHaveLength(2);
      expect(first.json().nextCursor).toMatch(/^2\./);
      const pageTwo = `${base}&cursor=${first.json().nextCursor}`;
      const second = await get(pageTwo);
      expect(second.statusCode).toBe(200);
      expect(second.headers['cache-status']).toContain('fwd=miss');
      expect(second.json().nextCursor).toBeNull();
      const titles = [...first.json().items, ...second.json().items].map((t: { title: string }) => t.title);
      expect(titles.sort()).toEqual(['Walk 0', 'Walk 1', 'Walk 2']);
      const again = await get(pageTwo);
      expect(again.headers['cache-status']).toBe('taskflow-gateway; hit');
      expect(again.json()).toEqual(second.json());
    }
    const pages = await redis.smembers(CacheKeys.userIndex(carol.id));
    expect(pages.filter((key) => /^task:search:[0-9a-f]{32}:page:2$/.test(key))).toHaveLength(2);
  });
});
