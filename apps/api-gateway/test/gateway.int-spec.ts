import { generateKeyPairSync } from 'node:crypto';
import { CacheKeys, CacheTtl } from '@taskflow/cache';
import { TASK_DESCRIPTION_MAX, TaskRpc, UserRpc } from '@taskflow/contracts';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { FakeBackend, startFakeBackend } from './support/fake-services';
import { freePort } from '@taskflow/testing';
import {
  flushDb,
  Gateway,
  redisDbUrl,
  runSigningKey,
  signToken,
  signUp,
  startGateway,
} from './support/gateway-harness';
import { USER_LIST_ENDPOINT } from '../src/users/users.service';

// Integration tests of the gateway against real Redis (logical DB 5, flushed here and nowhere else)
// and an in-test TCP double of user-service + task-service.
jest.setTimeout(30_000);
const REDIS_URL = redisDbUrl(5);

describe('api-gateway (real Redis, fake services)', () => {
  let fake: Awaited<ReturnType<typeof startFakeBackend>>;
  let backend: FakeBackend;
  let gateway: Gateway;
  let redis: Redis;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;

  const createTask = async (auth: Record<string, string>, payload: object = { title: 'Write tests' }) => {
    const response = await gateway.inject({ method: 'POST', url: '/api/v1/tasks', headers: auth, payload });
    expect(response.statusCode).toBe(201);
    return response.json();
  };

  beforeAll(async () => {
    await flushDb(REDIS_URL);
    fake = await startFakeBackend();
    backend = fake.backend;
    gateway = await startGateway({
      REDIS_URL,
      USER_SERVICE_PORT: String(fake.port),
      TASK_SERVICE_PORT: String(fake.port),
      RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
    });
    redis = new Redis(REDIS_URL);
    alice = await signUp(gateway, 'alice@example.com');
    bob = await signUp(gateway, 'bob@example.com');
  });

  afterAll(async () => {
    redis.disconnect();
    await gateway.close();
    await fake.close();
  });

  describe('auth', () => {
    it('should store the session under session:{sessionId} with the seed TTL and answer me', async () => {
      const me = await gateway.inject({ method: 'GET', url: '/api/v1/auth/me', headers: alice.auth });
      expect(me.statusCode).toBe(200);
      expect(me.json()).toMatchObject({ id: alice.id, email: 'alice@example.com' });
      expect(me.json()).not.toHaveProperty('password');
      const ttl = await redis.ttl(CacheKeys.session(me.json().sessionId));
      expect(ttl).toBeGreaterThan(CacheTtl.session - 10);
      expect(ttl).toBeLessThanOrEqual(CacheTtl.session);
    });

    it('should warm profile, first task page and stats on login', async () => {
      const carol = await signUp(gateway, 'carol@example.com');
      await waitUntil(async () => (await redis.exists(CacheKeys.taskStats(carol.id))) === 1);
      expect(await redis.exists(CacheKeys.userProfile(carol.id))).toBe(1);
      expect(await redis.exists(CacheKeys.taskList(carol.id, 'all', 1))).toBe(1);
      expect(await redis.ttl(CacheKeys.userProfile(carol.id))).toBeLessThanOrEqual(CacheTtl.userProfile);
    });

    it('should reject a token after logout at once', async () => {
      const dave = await signUp(gateway, 'dave@example.com');
      expect((await gateway.inject({ method: 'GET', url: '/api/v1/tasks', headers: dave.auth })).statusCode).toBe(200);
      const logout = await gateway.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: dave.auth });
      expect(logout.statusCode).toBe(204);
      const after = await gateway.inject({ method: 'GET', url: '/api/v1/tasks', headers: dave.auth });
      expect(after.statusCode).toBe(401);
      expect(after.json().code).toBe('AUTH.SESSION_ENDED');
      expect(backend.count('user.record_logout')).toBeGreaterThan(0);
    });

    it('should rotate the refresh token and end the session when an old one is replayed', async () => {
      const erin = await signUp(gateway, 'erin@example.com');
      const refresh = (refreshToken: string) =>
        gateway.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } });
      const first = await refresh(erin.tokens.refreshToken);
      expect(first.statusCode).toBe(200);
      const fresh = { authorization: `Bearer ${first.json().accessToken}` };
      expect((await gateway.inject({ method: 'GET', url: '/api/v1/auth/me', headers: fresh })).statusCode).toBe(200);
      expect((await refresh(erin.tokens.refreshToken)).statusCode).toBe(401);
      expect((await gateway.inject({ method: 'GET', url: '/api/v1/auth/me', headers: fresh })).statusCode).toBe(401);
    });

    it.each([
      ['alg none', () => unsignedToken({ sub: 'x', role: 'admin', sid: 'y' })],
      ['a tampered payload', () => tamper(signToken({ sub: 'x', role: 'user', sid: 'y' }))],
      ['an expired token', () => signToken({ sub: 'x', role: 'user', sid: 'y' }, { expiresIn: -10 })],
      [
        'HS512 keyed with the public key (algorithm confusion)',
        () => signToken({ sub: 'x', role: 'user', sid: 'y' }, { algorithm: 'HS512' }, runSigningKey().publicKeyPem),
      ],
      [
        'a foreign key under our kid',
        () =>
          signToken(
            { sub: 'x', role: 'user', sid: 'y' },
            {},
            generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
          ),
      ],
    ])('should answer 401 problem+json for %s', async (_, token) => {
      const response = await gateway.inject({
        method: 'GET',
        url: '/api/v1/tasks',
        headers: { authorization: `Bearer ${token()}` },
      });
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json().code).toBe('AUTH.INVALID_TOKEN');
    });

    it('should reject a token sent in the query string', async () => {
      const token = alice.auth.authorization.slice(7);
      const response = await gateway.inject({ method: 'GET', url: `/api/v1/tasks?access_token=${token}` });
      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('AUTH.TOKEN_IN_QUERY');
    });

    it('should refuse admin routes to a normal user with 403', async () => {
      const response = await gateway.inject({ method: 'GET', url: '/api/v1/users', headers: alice.auth });
      expect(response.statusCode).toBe(403);
    });
  });

  describe('mass assignment and validation', () => {
    it.each([
      ['creatorId', { title: 't', creatorId: '123e4567-e89b-12d3-a456-426614174000' }],
      ['version', { title: 't', version: 9 }],
      ['createdAt', { title: 't', createdAt: '2020-01-01T00:00:00Z' }],
      ['id', { title: 't', id: '123e4567-e89b-12d3-a456-426614174000' }],
    ])('should reject a task create that sets %s with 400', async (field, payload) => {
      const response = await gateway.inject({ method: 'POST', url: '/api/v1/tasks', headers: alice.auth, payload });
      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });

    it('should not let a user make themselves admin', async () => {
      const response = await gateway.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: alice.auth,
        payload: { role: 'admin', firstName: 'Al' },
      });
      expect(response.statusCode).toBe(400);
      expect(backend.users.get(alice.id)?.role).toBe('user');
    });

    it('should answer oversized bodies with 413, foreign media types with 415 and broken JSON with 400', async () => {
      const big = await gateway.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: alice.auth,
        payload: { title: 'x'.repeat(300_000) },
      });
      expect(big.statusCode).toBe(413);
      expect(big.json()).toMatchObject({ code: 'REQUEST.TOO_LARGE', detail: expect.stringContaining('262144 bytes') });
      const xml = await gateway.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: { ...alice.auth, 'content-type': 'application/xml' },
        payload: '<task/>',
      });
      expect(xml.statusCode).toBe(415);
      const broken = await gateway.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: { ...alice.auth, 'content-type': 'application/json' },
        payload: '{"title":',
      });
      expect(broken.statusCode).toBe(400);
      for (const response of [big, xml, broken]) {
        expect(response.headers['content-type']).toContain('application/problem+json');
      }
    });

    it('should accept a description of TASK_DESCRIPTION_MAX code points written with \\u escapes (json.dumps)', async () => {
      const description = '😀'.repeat(TASK_DESCRIPTION_MAX);
      const escaped = JSON.stringify({ title: 'escaped', description }).replace(
        /[\u0080-\uffff]/g,
        (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
      expect(Buffer.byteLength(escaped)).toBeGreaterThan(100_000);
      const response = await gateway.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: { ...alice.auth, 'content-type': 'application/json' },
        payload: escaped,
      });
      expect(response.statusCode).toBe(201);
      expect(response.json().description).toBe(description);
    });

    it('should refuse a form, text/plain or UTF-16 body with 415 REQUEST.UNSUPPORTED_MEDIA_TYPE and create nothing', async () => {
      const before = backend.count('task.create');
      for (const [contentType, payload] of [
        ['application/x-www-form-urlencoded', 'title=x'],
        ['text/plain', '{"title":"x"}'],
        ['application/json; charset=utf-16', '{"title":"x"}'],
      ]) {
        const response = await gateway.inject({
          method: 'POST',
          url: '/api/v1/tasks',
          headers: { ...alice.auth, 'content-type': contentType },
          payload,
        });
        expect({ contentType, status: response.statusCode }).toEqual({ contentType, status: 415 });
        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.json()).toMatchObject({ code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE' });
      }
      expect(backend.count('task.create')).toBe(before);
      const empty = await gateway.inject({
        method: 'DELETE',
        url: '/api/v1/tasks/00000000-0000-4000-8000-000000000000',
        headers: { ...alice.auth, 'content-type': 'application/json', 'if-match': '"v1"' },
      });
      expect(empty.statusCode).not.toBe(415);
    });

    it('should reject a malformed task id with 400', async () => {
      const response = await gateway.inject({ method: 'GET', url: '/api/v1/tasks/not-a-uuid', headers: alice.auth });
      expect(response.statusCode).toBe(400);
      expect(response.json().errors[0].field).toBe('id');
    });
  });

  describe('cache, ETag and preconditions', () => {
    it('should serve the second GET from Redis under task:{taskId} with the seed TTL, and a write invalidates it', async () => {
      const task = await createTask(alice.auth);
      const url = `/api/v1/tasks/${task.id}`;
      const first = await gateway.inject({ method: 'GET', url, headers: alice.auth });
      expect(first.headers['cache-status']).toContain('fwd=miss');
      const ttl = await redis.ttl(CacheKeys.task(task.id));
      expect(ttl).toBeGreaterThan(CacheTtl.task - 5);
      expect(ttl).toBeLessThanOrEqual(CacheTtl.task);
      const gets = backend.count('task.get');
      const second = await gateway.inject({ method: 'GET', url, headers: alice.auth });
      expect(second.headers['cache-status']).toBe('taskflow-gateway; hit');
      expect(second.json()).toEqual(first.json());
      expect(backend.count('task.get')).toBe(gets);

      const patch = await gateway.inject({
        method: 'PATCH',
        url,
        headers: alice.auth,
        payload: { title: 'Renamed', version: task.version },
      });
      expect(patch.statusCode).toBe(200);
      expect(await redis.exists(CacheKeys.task(task.id))).toBe(0);
      const third = await gateway.inject({ method: 'GET', url, headers: alice.auth });
      expect(third.json().title).toBe('Renamed');
      expect(third.headers['cache-status']).toContain('fwd=miss');
    });

    it('should cache the first list page per user and drop it when a task is created', async () => {
      await gateway.inject({ method: 'GET', url: '/api/v1/tasks', headers: alice.auth });
      const key = CacheKeys.taskList(alice.id, 'all', 1);
      expect(await redis.ttl(key)).toBeGreaterThan(0);
      expect(await redis.ttl(key)).toBeLessThanOrEqual(CacheTtl.taskList);
      const hit = await gateway.inject({ method: 'GET', url: '/api/v1/tasks', headers: alice.auth });
      expect(hit.headers['cache-status']).toBe('taskflow-gateway; hit');
      const created = await createTask(alice.auth, { title: 'Fresh one' });
      expect(await redis.exists(key)).toBe(0);
      const list = await gateway.inject({ method: 'GET', url: '/api/v1/tasks', headers: alice.auth });
      expect(list.json().items.map((t: { id: string }) => t.id)).toContain(created.id);
    });

    it('should cache every list page under its page number and drop them all on a write', async () => {
      const frank = await signUp(gateway, 'frank@example.com');
      const tasks = [];
      for (let i = 0; i < 22; i++) tasks.push(await createTask(frank.auth, { title: `Page task ${i}` }));
      const get = (url: string) => gateway.inject({ method: 'GET', url, headers: frank.auth });

      const first = await get('/api/v1/tasks');
      expect(first.json().items).toHaveLength(20);
      const next = first.json().nextCursor as string;
      expect(next).toMatch(/^2\./);
      const pageTwo = CacheKeys.taskList(frank.id, 'all', 2);
      expect(await redis.exists(pageTwo)).toBe(0);
      const second = await get(`/api/v1/tasks?cursor=${next}`);
      expect(second.statusCode).toBe(200);
      expect(second.headers['cache-status']).toContain('fwd=miss');
      expect(
        second
          .json()
          .items.map((t: { id: string }) => t.id)
          .sort(),
      ).toEqual(
        tasks
          .slice(0, 2)
          .map((t) => t.id)
          .sort(), // the two oldest
      );
      expect(second.json().nextCursor).toBeNull();
      expect(await redis.ttl(pageTwo)).toBeGreaterThan(0);
      expect(await redis.ttl(pageTwo)).toBeLessThanOrEqual(CacheTtl.taskList);
      const lists = backend.count(TaskRpc.list.pattern);
      const again = await get(`/api/v1/tasks?cursor=${next}`);
      expect(again.headers['cache-status']).toBe('taskflow-gateway; hit');
      expect(again.json()).toEqual(second.json());
      expect(backend.count(TaskRpc.list.pattern)).toBe(lists);

      // Another cursor with the same page number (e.g. walked from an older first page) is not served page 2.
      const other = await get(`/api/v1/tasks?cursor=2.${Buffer.from('5').toString('base64url')}`);
      expect(other.headers['cache-status']).not.toContain('hit');
      expect(other.json().items).toHaveLength(17);

      const patch = await gateway.inject({
        method: 'PATCH',
        url: `/api/v1/tasks/${tasks[0].id}`,
        headers: frank.auth,
        payload: { title: 'Changed', version: tasks[0].version },
      });
      expect(patch.statusCode).toBe(200);
      expect(await redis.exists(CacheKeys.taskList(frank.id, 'all', 1), pageTwo)).toBe(0);
      const fresh = await get(`/api/v1/tasks?cursor=${next}`);
      expect(fresh.headers['cache-status']).toContain('fwd=miss');
      expect(fresh.json().items.map((t: { title: string }) => t.title)).toContain('Changed');
    });

    it('should answer a cursor the gateway did not issue with 400', async () => {
      for (const cursor of ['garbage', '1.abc', '2.a%3Ab']) {
        const response = await gateway.inject({
          method: 'GET',
          url: `/api/v1/tasks?cursor=${cursor}`,
          headers: alice.auth,
        });
        expect(response.statusCode).toBe(400);
        expect(response.json().errors[0].field).toBe('cursor');
      }
    });

    it('should cache every search page and filtered list under task:search and drop them on a write', async () => {
      const gina = await signUp(gateway, 'gina@example.com');
      for (let i = 0; i < 3; i++) await createTask(gina.auth, { title: `Needle ${i}`, priority: 'high' });
      const get = (url: string) => gateway.inject({ method: 'GET', url, headers: gina.auth });
      const indexed = async () => redis.smembers(CacheKeys.userIndex(gina.id));

      const first = await get('/api/v1/tasks/search?q=needle&limit=2');
      expect(first.json().items).toHaveLength(2);
      const second = await get(`/api/v1/tasks/search?q=needle&limit=2&cursor=${first.json().nextCursor}`);
      expect(second.json().items).toHaveLength(1);
      expect(second.headers['cache-status']).toContain('fwd=miss');
      const pageTwo = (await indexed()).find((key) => /^task:search:[0-9a-f]{32}:page:2$/.test(key));
      expect(pageTwo).toBeDefined();
      expect(await redis.ttl(pageTwo!)).toBeGreaterThan(0);
      expect(await redis.ttl(pageTwo!)).toBeLessThanOrEqual(CacheTtl.taskSearch);
      const repeat = await get(`/api/v1/tasks/search?q=needle&limit=2&cursor=${first.json().nextCursor}`);
      expect(repeat.headers['cache-status']).toBe('taskflow-gateway; hit');

      const filtered = await get('/api/v1/tasks?priority=high');
      expect(filtered.json().items).toHaveLength(3);
      expect((await get('/api/v1/tasks?priority=high')).headers['cache-status']).toBe('taskflow-gateway; hit');
      const keys = await indexed();
      expect(keys.filter((key) => /^task:search:[0-9a-f]{32}:page:1$/.test(key))).toHaveLength(2);

      await createTask(gina.auth, { title: 'Needle 3', priority: 'high' });
      expect(await redis.exists(...keys)).toBe(0);
      expect((await get('/api/v1/tasks?priority=high')).json().items).toHaveLength(4);
    });

    it('should drop the assignee-side caches when a task is assigned away', async () => {
      const task = await createTask(alice.auth, { title: 'For Bob', assigneeId: bob.id });
      await gateway.inject({ method: 'GET', url: '/api/v1/tasks', headers: bob.auth });
      await gateway.inject({ method: 'GET', url: '/api/v1/tasks/stats/me', headers: bob.auth });
      expect(await redis.exists(CacheKeys.taskList(bob.id, 'all', 1))).toBe(1);
      const assign = await gateway.inject({
        method: 'PATCH',
        url: `/api/v1/tasks/${task.id}/assignee`,
        headers: alice.auth,
        payload: { assigneeId: null, version: task.version },
      });
      expect(assign.statusCode).toBe(200);
      expect(await redis.exists(CacheKeys.taskList(bob.id, 'all', 1))).toBe(0);
      expect(await redis.exists(CacheKeys.taskStats(bob.id))).toBe(0);
    });

    it('should return an ETag and answer If-None-Match with 304 from the cache', async () => {
      const task = await createTask(alice.auth);
      const url = `/api/v1/tasks/${task.id}`;
      const first = await gateway.inject({ method: 'GET', url, headers: alice.auth });
      expect(first.headers.etag).toBe(`"v${task.version}"`);
      const gets = backend.count('task.get');
      const notModified = await gateway.inject({
        method: 'GET',
        url,
        headers: { ...alice.auth, 'if-none-match': first.headers.etag as string },
      });
      expect(notModified.statusCode).toBe(304);
      expect(notModified.body).toBe('');
      expect(notModified.headers['cache-status']).toBe('taskflow-gateway; hit');
      expect(backend.count('task.get')).toBe(gets);
    });

    it('should answer a stale If-Match with 412 and a current one with 200 and a new ETag', async () => {
      const task = await createTask(alice.auth);
      const url = `/api/v1/tasks/${task.id}`;
      const stale = await gateway.inject({
        method: 'PATCH',
        url,
        headers: { ...alice.auth, 'if-match': '"v99"' },
        payload: { title: 'x' },
      });
      expect(stale.statusCode).toBe(412);
      expect(stale.json()).toMatchObject({ code: 'TASK.PRECONDITION_FAILED', currentVersion: 1 });
      const garbage = await gateway.inject({
        method: 'PATCH',
        url,
        headers: { ...alice.auth, 'if-match': 'W/"v1"' },
        payload: { title: 'x' },
      });
      expect(garbage.statusCode).toBe(412);
      const ok = await gateway.inject({
        method: 'PATCH',
        url,
        headers: { ...alice.auth, 'if-match': '"v1"' },
        payload: { title: 'y' },
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.headers.etag).toBe('"v2"');
    });

    it('should match an If-Match list when any tag is the current version, and refuse a malformed one with 400', async () => {
      const task = await createTask(alice.auth);
      const url = `/api/v1/tasks/${task.id}`;
      const patch = (ifMatch: string, title: string) =>
        gateway.inject({ method: 'PATCH', url, headers: { ...alice.auth, 'if-match': ifMatch }, payload: { title } });
      const garbage = await patch('garbage', 'x');
      expect(garbage.statusCode).toBe(400);
      expect(garbage.headers['content-type']).toContain('application/problem+json');
      expect(garbage.json().errors).toEqual([expect.objectContaining({ field: 'If-Match' })]);
      const missed = await patch('"v7", "v9"', 'x');
      expect(missed.statusCode).toBe(412);
      expect(missed.json()).toMatchObject({ code: 'TASK.PRECONDITION_FAILED', currentVersion: 1 });
      const listed = await patch('"v0", "v1", "v3"', 'listed');
      expect(listed.statusCode).toBe(200);
      expect(listed.json()).toMatchObject({ title: 'listed', version: 2 });
      expect(listed.headers.etag).toBe('"v2"');
      const any = await patch('*', 'any');
      expect(any.statusCode).toBe(200);
      expect(any.headers.etag).toBe('"v3"');
    });

    it('should answer a stale body version with 409 and the current version', async () => {
      const task = await createTask(alice.auth);
      const response = await gateway.inject({
        method: 'PATCH',
        url: `/api/v1/tasks/${task.id}/status`,
        headers: alice.auth,
        payload: { status: 'done', version: 7 },
      });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ code: 'TASK.VERSION_CONFLICT', currentVersion: 1 });
    });

    it('should give one 200 and the rest 409 for concurrent updates of one version', async () => {
      const task = await createTask(alice.auth);
      const responses = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          gateway.inject({
            method: 'PATCH',
            url: `/api/v1/tasks/${task.id}`,
            headers: alice.auth,
            payload: { title: `writer ${i}`, version: task.version },
          }),
        ),
      );
      const statuses = responses.map((r) => r.statusCode).sort();
      expect(statuses).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    });

    it('should make one backend call for concurrent misses of one key (single-flight)', async () => {
      const task = await createTask(alice.auth);
      backend.latencyMs = 50;
      const before = backend.count('task.get');
      try {
        const responses = await Promise.all(
          Array.from({ length: 10 }, () =>
            gateway.inject({ method: 'GET', url: `/api/v1/tasks/${task.id}`, headers: alice.auth }),
          ),
        );
        expect(responses.every((r) => r.statusCode === 200)).toBe(true);
      } finally {
        backend.latencyMs = 0;
      }
      expect(backend.count('task.get') - before).toBe(1);
    });
  });

  describe('BOLA', () => {
    it("should not hand one user's in-flight load to another user (single-flight is re-authorised)", async () => {
      const task = await createTask(alice.auth, { title: 'In flight' });
      const url = `/api/v1/tasks/${task.id}`;
      backend.latencyMs = 50;
      try {
        const [own, other] = await Promise.all([
          gateway.inject({ method: 'GET', url, headers: alice.auth }),
          gateway.inject({ method: 'GET', url, headers: bob.auth }),
        ]);
        expect(own.statusCode).toBe(200);
        expect(other.statusCode).toBe(404);
        expect(other.body).not.toContain('In flight');
      } finally {
        backend.latencyMs = 0;
      }
    });

    it("should answer 404 for another user's task, also when it is cached, and never leak it", async () => {
      const task = await createTask(alice.auth, { title: 'Alice only' });
      const url = `/api/v1/tasks/${task.id}`;
      await gateway.inject({ method: 'GET', url, headers: alice.auth });
      expect(await redis.exists(CacheKeys.task(task.id))).toBe(1);
      const read = await gateway.inject({ method: 'GET', url, headers: bob.auth });
      expect(read.statusCode).toBe(404);
      expect(read.body).not.toContain('Alice only');
      const write = await gateway.inject({
        method: 'PATCH',
        url,
        headers: bob.auth,
        payload: { title: 'mine now', version: 1 },
      });
      expect(write.statusCode).toBe(404);
      expect((await gateway.inject({ method: 'DELETE', url, headers: bob.auth })).statusCode).toBe(404);
      const list = await gateway.inject({ method: 'GET', url: '/api/v1/tasks', headers: bob.auth });
      expect(list.body).not.toContain(task.id);
      const search = await gateway.inject({ method: 'GET', url: '/api/v1/tasks/search?q=Alice', headers: bob.auth });
      expect(search.json().items).toEqual([]);
    });
  });

  describe('idempotency', () => {
    it('should create once and replay the same body for a retried key', async () => {
      const headers = { ...alice.auth, 'idempotency-key': 'create-1' };
      const payload = { title: 'Once' };
      const creates = backend.count('task.create');
      const first = await gateway.inject({ method: 'POST', url: '/api/v1/tasks', headers, payload });
      const retry = await gateway.inject({ method: 'POST', url: '/api/v1/tasks', headers, payload });
      expect(first.statusCode).toBe(201);
      expect(retry.statusCode).toBe(201);
      expect(retry.json()).toEqual(first.json());
      expect(retry.headers['idempotency-replayed']).toBe('true');
      expect(retry.headers.etag).toBe(first.headers.etag);
      expect(backend.count('task.create') - creates).toBe(1);
      const ttl = await redis.ttl(CacheKeys.idempotency(alice.id, 'create-1'));
      expect(ttl).toBeGreaterThan(CacheTtl.idempotency - 10);
    });

    it('should answer 422 for the same key with a different body', async () => {
      const headers = { ...alice.auth, 'idempotency-key': 'create-2' };
      await gateway.inject({ method: 'POST', url: '/api/v1/tasks', headers, payload: { title: 'A' } });
      const other = await gateway.inject({ method: 'POST', url: '/api/v1/tasks', headers, payload: { title: 'B' } });
      expect(other.statusCode).toBe(422);
      expect(other.json().code).toBe('IDEMPOTENCY.KEY_REUSED');
    });

    it('should run the operation once for concurrent requests with one key', async () => {
      backend.latencyMs = 50;
      const creates = backend.count('task.create');
      try {
        const responses = await Promise.all(
          Array.from({ length: 6 }, () =>
            gateway.inject({
              method: 'POST',
              url: '/api/v1/tasks',
              headers: { ...alice.auth, 'idempotency-key': 'create-3' },
              payload: { title: 'Concurrent' },
            }),
          ),
        );
        expect(responses.map((r) => r.statusCode)).toEqual(Array(6).fill(201));
        expect(new Set(responses.map((r) => r.json().id)).size).toBe(1);
      } finally {
        backend.latencyMs = 0;
      }
      expect(backend.count('task.create') - creates).toBe(1);
    });
  });

  describe('task lifecycle', () => {
    it('should delete, hide, restore, and count a task in stats', async () => {
      const task = await createTask(alice.auth, { title: 'Lifecycle', priority: 'high' });
      const url = `/api/v1/tasks/${task.id}`;
      expect((await gateway.inject({ method: 'DELETE', url, headers: alice.auth })).statusCode).toBe(204);
      expect((await gateway.inject({ method: 'GET', url, headers: alice.auth })).statusCode).toBe(404);
      const restored = await gateway.inject({ method: 'POST', url: `${url}/restore`, headers: alice.auth });
      expect(restored.statusCode).toBe(200);
      expect(restored.json().deletedAt).toBeNull();
      const stats = await gateway.inject({ method: 'GET', url: '/api/v1/tasks/stats/me', headers: alice.auth });
      expect(stats.json().byPriority.high).toBeGreaterThanOrEqual(1);
      expect(await redis.ttl(CacheKeys.taskStats(alice.id))).toBeLessThanOrEqual(CacheTtl.taskStats);
    });
  });

  describe('failure of a service', () => {
    it('should answer 503 quickly when a service is unreachable', async () => {
      const closed = await startGateway({
        REDIS_URL,
        USER_SERVICE_PORT: String(fake.port),
        TASK_SERVICE_PORT: String(await freePort()),
      });
      try {
        const started = Date.now();
        const response = await closed.inject({ method: 'GET', url: '/api/v1/tasks?status=done', headers: alice.auth });
        expect(response.statusCode).toBe(503);
        expect(response.json().code).toBe('SERVICE.UNAVAILABLE');
        expect(response.headers['retry-after']).toBe('2');
        // A refused connection fails at once, not after the 3 s RPC timeout (a hang check, not a benchmark).
        expect(Date.now() - started).toBeLessThan(2500);
      } finally {
        await closed.close();
      }
    });
  });

  describe('permissions and the cached user list', () => {
    let admin: Awaited<ReturnType<typeof signUp>>;
    beforeAll(async () => {
      admin = await signUp(gateway, 'root@example.com');
      backend.users.get(admin.id)!.role = 'admin';
      const login = await gateway.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'root@example.com', password: 'correct-horse-battery' },
      });
      admin = { ...admin, auth: { authorization: `Bearer ${login.json().accessToken}` } };
    });

    it('should read the role through user:permissions:{userId} and apply a role change at the next request', async () => {
      const hank = await signUp(gateway, 'hank@example.com');
      const key = CacheKeys.userPermissions(hank.id);
      const stored = JSON.parse((await redis.get(key))!);
      expect(stored.role).toBe('user');
      expect(stored.permissions).toContain('task:read');
      expect(stored.permissions).not.toContain('user:list');
      expect(await redis.ttl(key)).toBeGreaterThan(CacheTtl.userPermissions - 10);
      expect(await redis.ttl(key)).toBeLessThanOrEqual(CacheTtl.userPermissions);
      const users = () => gateway.inject({ method: 'GET', url: '/api/v1/users', headers: hank.auth });
      expect((await users()).statusCode).toBe(403);

      // Read-through: gone from Redis → one user-service read, then cached again.
      await redis.del(key);
      const reads = backend.count(UserRpc.getById.pattern);
      expect((await gateway.inject({ method: 'GET', url: '/api/v1/tasks', headers: hank.auth })).statusCode).toBe(200);
      expect(backend.count(UserRpc.getById.pattern)).toBe(reads + 1);
      expect(JSON.parse((await redis.get(key))!).role).toBe('user');
      await gateway.inject({ method: 'GET', url: '/api/v1/tasks', headers: hank.auth });
      expect(backend.count(UserRpc.getById.pattern)).toBe(reads + 1);

      const promote = await gateway.inject({
        method: 'PATCH',
        url: `/api/v1/users/${hank.id}/role`,
        headers: admin.auth,
        payload: { role: 'admin' },
      });
      expect(promote.statusCode).toBe(200);
      expect(JSON.parse((await redis.get(key))!).permissions).toContain('user:list');
      expect((await users()).statusCode).toBe(200); // same token, no refresh
      await gateway.inject({
        method: 'PATCH',
        url: `/api/v1/users/${hank.id}/role`,
        headers: admin.auth,
        payload: { role: 'user' },
      });
      expect((await users()).statusCode).toBe(403);
    });

    it('should cache the admin user list as api:response and drop it when a user is added or changed', async () => {
      const list = () => gateway.inject({ method: 'GET', url: '/api/v1/users?limit=50', headers: admin.auth });
      const index = CacheKeys.endpointIndex(USER_LIST_ENDPOINT);
      const first = await list();
      expect(first.statusCode).toBe(200);
      expect(first.headers['cache-status']).toContain('fwd=miss');
      const [key] = await redis.smembers(index);
      expect(key).toMatch(new RegExp(`^api:response:${USER_LIST_ENDPOINT}:[0-9a-f]{32}$`));
      expect(await redis.ttl(key)).toBeGreaterThan(0);
      expect(await redis.ttl(key)).toBeLessThanOrEqual(CacheTtl.apiResponse);
      const calls = backend.count(UserRpc.list.pattern);
      const second = await list();
      expect(second.headers['cache-status']).toBe('taskflow-gateway; hit');
      expect(second.json()).toEqual(first.json());
      expect(backend.count(UserRpc.list.pattern)).toBe(calls);

      const ivy = await signUp(gateway, 'ivy@example.com');
      expect(await redis.exists(key)).toBe(0);
      const afterRegister = await list();
      expect(afterRegister.headers['cache-status']).toContain('fwd=miss');
      expect(afterRegister.json().items.map((u: { id: string }) => u.id)).toContain(ivy.id);

      await gateway.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: ivy.auth, payload: { bio: 'hi' } });
      expect(await redis.scard(index)).toBe(0);
      expect((await list()).json().items.find((u: { id: string }) => u.id === ivy.id).profile.bio).toBe('hi');
    });
  });

  describe('admin and audit', () => {
    it('should let an admin list users and change a role, and proxy audit queries for admins only', async () => {
      const audit = Fastify();
      audit.get('/api/v1/audit/events', async (request) => ({ items: [], auth: request.headers.authorization }));
      await audit.listen({ port: 0, host: '127.0.0.1' });
      const auditUrl = `http://127.0.0.1:${(audit.server.address() as { port: number }).port}`;
      const withAudit = await startGateway({
        REDIS_URL,
        USER_SERVICE_PORT: String(fake.port),
        TASK_SERVICE_PORT: String(fake.port),
        AUDIT_SERVICE_URL: auditUrl,
        RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
      });
      try {
        const admin = await signUp(withAudit, 'admin@example.com');
        backend.users.get(admin.id)!.role = 'admin';
        const login = await withAudit.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { email: 'admin@example.com', password: 'correct-horse-battery' },
        });
        const adminAuth = { authorization: `Bearer ${login.json().accessToken}` };
        expect((await withAudit.inject({ method: 'GET', url: '/api/v1/users', headers: adminAuth })).statusCode).toBe(
          200,
        );
        const role = await withAudit.inject({
          method: 'PATCH',
          url: `/api/v1/users/${bob.id}/role`,
          headers: adminAuth,
          payload: { role: 'auditor' },
        });
        expect(role.json().role).toBe('auditor');
        const events = await withAudit.inject({
          method: 'GET',
          url: '/api/v1/audit/events?limit=5',
          headers: adminAuth,
        });
        expect(events.statusCode).toBe(200);
        expect(events.json()).toEqual({ items: [], auth: adminAuth.authorization });
        const denied = await withAudit.inject({ method: 'GET', url: '/api/v1/audit/events', headers: alice.auth });
        expect(denied.statusCode).toBe(403);
      } finally {
        backend.users.get(bob.id)!.role = 'user';
        await withAudit.close();
        await audit.close();
      }
    });
  });

  describe('ops', () => {
    it('should report ready and expose the cache and rate-limit metrics', async () => {
      const ready = await gateway.injectManagement({ method: 'GET', url: '/health/ready' });
      expect(ready.json().status).toBe('ok');
      const metrics = (await gateway.injectManagement({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/taskflow_cache_requests_total\{result="hit",app="api-gateway"\} [1-9]/);
      expect(metrics).toContain('taskflow_cache_evictions_total');
      expect(metrics).toContain('taskflow_rate_limit_rejections_total');
    });

    it('should allow CORS only for the configured origins', async () => {
      const cors = await startGateway({
        REDIS_URL,
        USER_SERVICE_PORT: String(fake.port),
        TASK_SERVICE_PORT: String(fake.port),
        CORS_ORIGINS: 'https://app.taskflow.dev',
      });
      try {
        const preflight = (origin: string) =>
          cors.inject({
            method: 'OPTIONS',
            url: '/api/v1/tasks',
            headers: { origin, 'access-control-request-method': 'POST' },
          });
        const allowed = await preflight('https://app.taskflow.dev');
        expect(allowed.headers['access-control-allow-origin']).toBe('https://app.taskflow.dev');
        const other = await preflight('https://evil.example');
        expect(other.headers['access-control-allow-origin']).toBeUndefined();
      } finally {
        await cors.close();
      }
    });

    it('should serve the OpenAPI document and security headers', async () => {
      const doc = await gateway.inject({ method: 'GET', url: '/docs/json' });
      expect(doc.statusCode).toBe(200);
      expect(Object.keys(doc.json().paths)).toEqual(
        expect.arrayContaining(['/api/v1/tasks/{id}', '/api/v1/auth/login']),
      );
      const { paths } = doc.json();
      expect(Object.keys(paths['/api/v1/tasks/{id}'].patch.responses)).toEqual(
        expect.arrayContaining(['409', '412', '428']),
      );
      expect(Object.keys(paths['/api/v1/tasks/{id}/restore'].post.responses)).toContain('409');
      const listParams = paths['/api/v1/tasks'].get.parameters.map((p: { name: string }) => p.name);
      expect(listParams).toEqual(expect.arrayContaining(['dueBefore', 'limit', 'cursor', 'overdue']));
      expect(listParams).not.toContain('q');
      expect(paths['/api/v1/tasks/search'].get.parameters.map((p: { name: string }) => p.name)).toContain('q');
      expect(doc.headers['x-content-type-options']).toBe('nosniff');
      expect(doc.headers['x-powered-by']).toBeUndefined();
    });
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function unsignedToken(claims: object): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ ...claims, exp: Math.floor(Date.now() / 1000) + 600 })}.`;
}

function tamper(token: string): string {
  const [header, , signature] = token.split('.');
  const payload = Buffer.from(JSON.stringify({ sub: 'x', role: 'admin', sid: 'y' })).toString('base64url');
  return `${header}.${payload}.${signature}`;
}
