import { generateKeyPairSync } from 'node:crypto';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { startFakeBackend } from './support/fake-services';
import { freePort } from '@taskflow/testing';
import { Gateway, signToken, signUp, startGateway } from './support/gateway-harness';

/** A throwaway redis-server owned by this test, so it can be stopped and started without touching the shared one. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = require('node:net').connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.end(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (up) return child;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill();
  throw new Error('redis-server did not start');
}

async function stopRedis(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * A hang detector, not a performance assertion: with ioredis defaults a request waits ~73 s on a dead Redis
 * (the offline queue); the fail-fast client answers at once. 5 s leaves room for a loaded CI box.
 */
const NO_HANG_MS = 5000;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await fn();
  return [result, performance.now() - started];
}

jest.setTimeout(30_000);
describe('Redis unreachable', () => {
  let fake: Awaited<ReturnType<typeof startFakeBackend>>;
  let deadRedis: string;

  beforeAll(async () => {
    fake = await startFakeBackend();
    deadRedis = `redis://127.0.0.1:${await freePort()}/5`;
  });
  afterAll(() => fake.close());

  const services = () => ({ USER_SERVICE_PORT: String(fake.port), TASK_SERVICE_PORT: String(fake.port) });

  describe('with the default SESSION_FAILURE_MODE (open)', () => {
    let gateway: Gateway;
    const logs: string[] = [];
    beforeAll(async () => {
      gateway = await startGateway({ REDIS_URL: deadRedis, ...services() }, { logs });
    });
    afterAll(() => gateway.close());

    it('should stay ready but degraded', async () => {
      const ready = await gateway.injectManagement({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json().status).toBe('degraded');
      expect(ready.json().checks).toContainEqual(expect.objectContaining({ name: 'redis', status: 'down' }));
    });

    it('should still serve public routes from the services', async () => {
      const [response, ms] = await timed(() =>
        gateway.inject({
          method: 'POST',
          url: '/api/v1/auth/register',
          payload: { email: 'down@example.com', password: 'long-enough-pass' },
        }),
      );
      expect(response.statusCode).toBe(201);
      expect(ms).toBeLessThan(NO_HANG_MS);
    });

    it('should serve a valid token without the session check, with a metric and one warning', async () => {
      const userId = '123e4567-e89b-12d3-a456-426614174001';
      const auth = { authorization: `Bearer ${signToken({ sub: userId, role: 'user', sid: 's2' })}` };
      const created = await gateway.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: { ...auth, 'idempotency-key': 'k1' },
        payload: { title: 'No cache' },
      });
      expect(created.statusCode).toBe(201);
      const url = `/api/v1/tasks/${created.json().id}`;
      const [read, ms] = await timed(() => gateway.inject({ method: 'GET', url, headers: auth }));
      expect(read.statusCode).toBe(200);
      expect(read.headers['cache-status']).toBe('taskflow-gateway; fwd=bypass');
      expect(read.headers.etag).toBe('"v1"');
      expect(ms).toBeLessThan(NO_HANG_MS);
      const notModified = await gateway.inject({ method: 'GET', url, headers: { ...auth, 'if-none-match': '"v1"' } });
      expect(notModified.statusCode).toBe(304);

      const metrics = (await gateway.injectManagement({ method: 'GET', url: '/metrics' })).body;
      const skipped = /^taskflow_session_checks_skipped_total\{[^}]*\} (\d+)$/m.exec(metrics);
      expect(Number(skipped?.[1])).toBeGreaterThanOrEqual(3);
      const warnings = logs.filter((line) => line.includes('without the session check'));
      expect(warnings).toHaveLength(1); // not one per request
      expect(JSON.parse(warnings[0]).level).toBe(40);
    });

    it('should still reject a token with a bad signature or an expired one', async () => {
      const claims = { sub: '123e4567-e89b-12d3-a456-426614174001', role: 'user', sid: 's3' };
      for (const token of [
        signToken(claims, {}, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
        signToken(claims, { expiresIn: -10 }),
      ]) {
        const response = await gateway.inject({
          method: 'GET',
          url: '/api/v1/tasks',
          headers: { authorization: `Bearer ${token}` },
        });
        expect(response.statusCode).toBe(401);
      }
    });

    it('should answer login with 503: a new session cannot be recorded', async () => {
      const login = await gateway.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'down@example.com', password: 'long-enough-pass' },
      });
      expect(login.statusCode).toBe(503);
      expect(login.json().code).toBe('AUTH.SESSION_STORE_UNAVAILABLE');
    });
  });

  describe('with SESSION_FAILURE_MODE=closed', () => {
    let gateway: Gateway;
    beforeAll(async () => {
      gateway = await startGateway({ REDIS_URL: deadRedis, SESSION_FAILURE_MODE: 'closed', ...services() });
    });
    afterAll(() => gateway.close());

    it('should answer authenticated routes with a fast 503 and Retry-After', async () => {
      const token = signToken({ sub: '123e4567-e89b-12d3-a456-426614174000', role: 'user', sid: 's1' });
      const [response, ms] = await timed(() =>
        gateway.inject({ method: 'GET', url: '/api/v1/tasks', headers: { authorization: `Bearer ${token}` } }),
      );
      expect(response.statusCode).toBe(503);
      expect(response.json().code).toBe('AUTH.SESSION_STORE_UNAVAILABLE');
      expect(response.headers['retry-after']).toBe('5');
      expect(ms).toBeLessThan(NO_HANG_MS);
    });
  });

  const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
  if (!hasRedisServer) console.warn('skipped "when Redis stops and comes back": no redis-server binary on PATH');
  (hasRedisServer ? describe : describe.skip)('when Redis stops and comes back', () => {
    let redis: ChildProcess;
    let port: number;
    let gateway: Gateway;

    beforeAll(async () => {
      port = await freePort();
      redis = await startRedis(port);
      gateway = await startGateway({
        REDIS_URL: `redis://127.0.0.1:${port}`,
        ...services(),
      });
    });
    afterAll(async () => {
      await gateway.close();
      if (redis.exitCode === null) await stopRedis(redis);
    });

    it('should bypass the cache while down and resume caching without a restart', async () => {
      let user = await signUp(gateway, 'flaky@example.com');
      const task = (
        await gateway.inject({ method: 'POST', url: '/api/v1/tasks', headers: user.auth, payload: { title: 'T' } })
      ).json();
      const url = `/api/v1/tasks/${task.id}`;
      await gateway.inject({ method: 'GET', url, headers: user.auth });
      expect((await gateway.inject({ method: 'GET', url, headers: user.auth })).headers['cache-status']).toContain(
        'hit',
      );

      await stopRedis(redis);
      const [down, ms] = await timed(() => gateway.inject({ method: 'GET', url, headers: user.auth }));
      expect(down.statusCode).toBe(200);
      expect(down.headers['cache-status']).toContain('bypass');
      expect(ms).toBeLessThan(NO_HANG_MS);
      expect((await gateway.injectManagement({ method: 'GET', url: '/health/ready' })).json().status).toBe('degraded');

      redis = await startRedis(port);
      const deadline = Date.now() + 5000;
      while ((await gateway.injectManagement({ method: 'GET', url: '/health/ready' })).json().status !== 'ok') {
        if (Date.now() > deadline) throw new Error('gateway did not reconnect');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // The new Redis is empty: sessions are gone, so log in again (sessions are not durable by design).
      expect((await gateway.inject({ method: 'GET', url, headers: user.auth })).statusCode).toBe(401);
      const login = await gateway.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'flaky@example.com', password: 'correct-horse-battery' },
      });
      user = { ...user, auth: { authorization: `Bearer ${login.json().accessToken}` } };
      expect((await gateway.inject({ method: 'GET', url, headers: user.auth })).headers['cache-status']).toContain(
        'miss',
      );
      expect((await gateway.inject({ method: 'GET', url, headers: user.auth })).headers['cache-status']).toContain(
        'hit',
      );
    });
  });
});
