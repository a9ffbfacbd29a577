import { CacheKeys } from '@taskflow/cache';
import { TASK_DESCRIPTION_MAX, TASK_PAGE_MAX, USER_PAGE_MAX } from '@taskflow/contracts';
import { waitFor } from '@taskflow/testing';
import { Redis } from 'ioredis';
import { connect, Socket } from 'node:net';
import { DEFAULT_BODY_LIMIT_BYTES } from '../../src/config/gateway.config';
import { HttpClient, HttpResult, System, TestUser } from '../support/system-harness';

// OWASP API4 (unrestricted resource consumption): page-size caps, body limits, rate limits, slow clients.

function expectProblem(response: HttpResult, status: number, field?: string): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  if (field) expect(response.json.errors.map((e: { field: string }) => e.field)).toContain(field);
}

/** A raw socket: what it received, and whether the server closed it. */
/** Asserts that a raw HTTP response is the one error format with the security headers, and returns its body. */
function expectRawProblem(received: string, status: number): Record<string, unknown> {
  const [head, body] = received.split('\r\n\r\n');
  expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
  expect(head).toMatch(/\r\ncontent-type: application\/problem\+json/i);
  expect(head).toMatch(/\r\nx-content-type-options: nosniff/i);
  const problem = JSON.parse(body) as Record<string, unknown>;
  expect(problem).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
  return problem;
}

async function rawExchange(port: number, request: string): Promise<string> {
  const { socket, state } = rawClient(port);
  socket.write(request);
  await waitFor(async () => state.closed, { timeoutMs: 30_000 });
  return state.received;
}

function rawClient(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  const state = { received: '', closed: false };
  socket.on('data', (chunk) => (state.received += chunk.toString()));
  socket.on('close', () => (state.closed = true));
  socket.on('error', () => undefined);
  return { socket, state };
}

export function resourceConsumptionSuite(getSystem: () => System): void {
  describe('abuse: resource consumption (OWASP API4)', () => {
    let system: System;
    let alice: TestUser;
    let admin: TestUser;
    let redis: Redis;

    beforeAll(async () => {
      system = getSystem();
      [alice, admin] = await Promise.all([system.signUp('alice'), system.signUp('admin', 'admin')]);
      redis = new Redis(system.redisUrl);
    });

    afterAll(() => redis?.disconnect());

    describe('page sizes and parameter lengths', () => {
      it('should cap every page size and reject oversized query values, naming the parameter', async () => {
        const cases: [string, string, string][] = [
          [`/api/v1/tasks?limit=${TASK_PAGE_MAX + 1}`, 'limit', alice.token],
          ['/api/v1/tasks?limit=100000', 'limit', alice.token],
          ['/api/v1/tasks?limit=1e9', 'limit', alice.token],
          ['/api/v1/tasks?limit=0', 'limit', alice.token],
          ['/api/v1/tasks?limit=-1', 'limit', alice.token],
          [`/api/v1/tasks/search?q=a&limit=${TASK_PAGE_MAX + 1}`, 'limit', alice.token],
          [`/api/v1/tasks/search?q=${'a'.repeat(201)}`, 'q', alice.token],
          [`/api/v1/tasks?cursor=${'a'.repeat(513)}`, 'cursor', alice.token],
          [`/api/v1/users?limit=${USER_PAGE_MAX + 1}`, 'limit', admin.token],
          [`/api/v1/users?search=${'a'.repeat(101)}`, 'search', admin.token],
        ];
        for (const [path, field, token] of cases) {
          const response = await system.http.get(path, { token });
          expect({ path: path.slice(0, 60), status: response.status }).toEqual({
            path: path.slice(0, 60),
            status: 400,
          });
          expectProblem(response, 400, field);
        }
        // The caps themselves are accepted.
        const max = await system.http.get(`/api/v1/tasks?limit=${TASK_PAGE_MAX}`, { token: alice.token });
        expect(max.status).toBe(200);
        expect((await system.http.get(`/api/v1/users?limit=${USER_PAGE_MAX}`, { token: admin.token })).status).toBe(
          200,
        );
      });

      it('should not return more than the page size by default', async () => {
        await Promise.all(Array.from({ length: 25 }, (_, i) => system.createTask(alice, { title: `bulk ${i}` })));
        const page = await system.http.get('/api/v1/tasks', { token: alice.token });
        expect(page.json.items).toHaveLength(20);
        expect(page.json.nextCursor).toEqual(expect.any(String));
      });
    });

    describe('body sizes', () => {
      it('should answer 413 problem+json to a body over BODY_LIMIT_BYTES, with or without Content-Length', async () => {
        const big = JSON.stringify({ title: 'x', description: 'y'.repeat(DEFAULT_BODY_LIMIT_BYTES) });
        expectProblem(await system.http.send('POST', '/api/v1/tasks', { token: alice.token, raw: big }), 413);
        // Chunked (no Content-Length): the limit applies while streaming.
        const stream = new ReadableStream({
          start(controller) {
            const chunks = Math.ceil(DEFAULT_BODY_LIMIT_BYTES / 10_000) + 1;
            for (let i = 0; i < chunks; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(10_000)));
            controller.close();
          },
        });
        const chunked = await fetch(`${system.http.baseUrl}/api/v1/tasks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
          body: stream,
          duplex: 'half',
        } as RequestInit);
        expect(chunked.status).toBe(413);
        expect(chunked.headers.get('content-type')).toContain('application/problem+json');
      });

      it('should reject field values over their limits and hostile JSON shapes with 400', async () => {
        const long = await system.http.post(
          '/api/v1/tasks',
          { title: 'x', description: 'd'.repeat(TASK_DESCRIPTION_MAX + 1) },
          { token: alice.token },
        );
        expectProblem(long, 400, 'description');
        // Deep nesting and thousands of keys stay within the byte limit but must not cost a stack or a 5xx.
        const deep = `{"title":"x","extra":${'['.repeat(40_000)}${']'.repeat(40_000)}}`;
        expectProblem(await system.http.send('POST', '/api/v1/tasks', { token: alice.token, raw: deep }), 400);
        const deepObject = `{"title":"x","extra":${'{"a":'.repeat(15_000)}1${'}'.repeat(15_000)}}`;
        expectProblem(await system.http.send('POST', '/api/v1/tasks', { token: alice.token, raw: deepObject }), 400);
        const wide = JSON.stringify(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])));
        const manyKeys = await system.http.send('POST', '/api/v1/tasks', { token: alice.token, raw: wide });
        expectProblem(manyKeys, 400);
        const repeated = `/api/v1/tasks?${Array.from({ length: 2000 }, () => 'status=todo').join('&')}`;
        expect((await system.http.get(repeated, { token: alice.token })).status).toBeLessThan(500);
        expect((await system.management.get('/health/ready')).status).toBe(200);
      });
    });

    describe('rate limits', () => {
      let limited: { http: HttpClient; close: () => Promise<void> };

      beforeAll(async () => {
        limited = await system.startGateway({
          RATE_LIMIT_USER_PER_MINUTE: '5',
          RATE_LIMIT_LOGIN_PER_MINUTE: '3',
        });
      });

      afterAll(() => limited?.close());

      it('should answer 429 with Retry-After after the per-user limit, for that user only', async () => {
        const bob = await system.signUp('bob');
        const statuses: number[] = [];
        let rejected: HttpResult | undefined;
        for (let i = 0; i < 8; i++) {
          const response = await limited.http.get('/api/v1/tasks', { token: bob.token });
          statuses.push(response.status);
          if (response.status === 429) rejected ??= response;
        }
        expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
        expectProblem(rejected!, 429);
        expect(rejected!.json.code).toBe('RATE_LIMIT.EXCEEDED');
        expect(Number(rejected!.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(Number(rejected!.headers.get('retry-after'))).toBeLessThanOrEqual(60);
        expect(rejected!.headers.get('ratelimit-remaining')).toBe('0');
        // Another user is unaffected.
        const carol = await system.signUp('carol');
        expect((await limited.http.get('/api/v1/tasks', { token: carol.token })).status).toBe(200);
      });

      it('should throttle login attempts per client IP, even with the right password (brute force)', async () => {
        await redis.del(CacheKeys.rateLimitLoginIpMinute('127.0.0.1')); // the signups above counted too
        const statuses: number[] = [];
        for (let i = 0; i < 3; i++) {
          statuses.push(
            (await limited.http.post('/api/v1/auth/login', { email: alice.email, password: `guess-${i}-xx` })).status,
          );
        }
        const right = await limited.http.post('/api/v1/auth/login', { email: alice.email, password: alice.password });
        expect(statuses).toEqual([401, 401, 401]);
        expectProblem(right, 429);
        expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
        // Registration shares the throttle (account-creation flooding).
        const register = await limited.http.post('/api/v1/auth/register', {
          email: `flood-${Date.now()}@example.com`,
          password: 'correct-horse-battery',
        });
        expectProblem(register, 429);
        await redis.del(CacheKeys.rateLimitLoginIpMinute('127.0.0.1'));
      });

      it('should answer 429 after the per-IP hourly limit, also for unauthenticated requests', async () => {
        const used = Number((await redis.get(CacheKeys.rateLimitIpHour('127.0.0.1'))) ?? 0);
        const byIp = await system.startGateway({ RATE_LIMIT_IP_PER_HOUR: String(used + 3) });
        try {
          const statuses: number[] = [];
          for (let i = 0; i < 5; i++) statuses.push((await byIp.http.get('/api/v1/tasks')).status);
          expect(statuses).toEqual([401, 401, 401, 429, 429]);
        } finally {
          await byIp.close();
        }
      });
    });

    describe('slow clients', () => {
      let slow: { http: HttpClient; close: () => Promise<void> };
      let port: number;

      beforeAll(async () => {
        slow = await system.startGateway({ HTTP_REQUEST_TIMEOUT_MS: '2000' });
        port = Number(new URL(slow.http.baseUrl).port);
      });

      afterAll(() => slow?.close());

      it('should cut off a client that sends its body too slowly with 408, and create nothing', async () => {
        const before = (await slow.http.get('/api/v1/tasks/stats/me', { token: alice.token })).json.total;
        const { socket, state } = rawClient(port);
        const body = JSON.stringify({ title: 'dribbled', description: 'z'.repeat(200) });
        socket.write(
          `POST /api/v1/tasks HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${alice.token}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
        );
        let sent = 0;
        const drip = setInterval(() => {
          if (!state.closed && sent < body.length) socket.write(body[sent++]);
        }, 250);
        try {
          await waitFor(async () => state.closed, { timeoutMs: 60_000 });
        } finally {
          clearInterval(drip);
          socket.destroy();
        }
        expectRawProblem(state.received, 408);
        expect(sent).toBeLessThan(body.length); // cut off before the body was complete
        const after = await slow.http.get('/api/v1/tasks/stats/me', { token: alice.token });
        expect(after.json.total).toBe(before);
      });

      it('should answer what the HTTP parser refuses (431, 400) as problem+json with the security headers', async () => {
        const longUrl = `GET /api/v1/tasks?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`;
        expect(expectRawProblem(await rawExchange(port, longUrl), 431)).toMatchObject({
          code: 'REQUEST.HEADERS_TOO_LARGE',
        });
        const badHeaderByte = 'GET /api/v1/tasks HTTP/1.1\r\nHost: localhost\r\nX-Bad: a\u0001b\r\n\r\n';
        expect(expectRawProblem(await rawExchange(port, badHeaderByte), 400)).toMatchObject({
          code: 'REQUEST.MALFORMED',
        });
      });

      it('should cut off a client that never finishes its headers (slowloris) with 408', async () => {
        const { socket, state } = rawClient(port);
        socket.write('GET /api/v1/tasks HTTP/1.1\r\nHost: localhost\r\n');
        let n = 0;
        const drip = setInterval(() => {
          if (!state.closed) socket.write(`X-Slow-${n++}: 1\r\n`);
        }, 250);
        try {
          await waitFor(async () => state.closed, { timeoutMs: 60_000 });
        } finally {
          clearInterval(drip);
          socket.destroy();
        }
        expectRawProblem(state.received, 408);
        // The gateway is still serving others.
        expect((await slow.http.get('/api/v1/users/me', { token: alice.token })).status).toBe(200);
      });
    });
  });
}
