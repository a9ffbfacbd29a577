import { CacheKeys } from '@taskflow/cache';
import { Redis } from 'ioredis';
import { startFakeBackend } from './support/fake-services';
import { flushDb, Gateway, redisDbUrl, signUp, startGateway } from './support/gateway-harness';

// Own logical DB (6): the IP counter is shared by every request of this process.
jest.setTimeout(30_000);
const REDIS_URL = redisDbUrl(6);

describe('rate limits (real Redis)', () => {
  let fake: Awaited<ReturnType<typeof startFakeBackend>>;
  let gateway: Gateway;
  let redis: Redis;

  beforeAll(async () => {
    await flushDb(REDIS_URL);
    fake = await startFakeBackend();
    gateway = await startGateway({
      REDIS_URL,
      USER_SERVICE_PORT: String(fake.port),
      TASK_SERVICE_PORT: String(fake.port),
      RATE_LIMIT_USER_PER_MINUTE: '5',
      RATE_LIMIT_LOGIN_PER_MINUTE: '3',
      RATE_LIMIT_IP_PER_HOUR: '1000',
    });
    redis = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    redis.disconnect();
    await gateway.close();
    await fake.close();
  });

  it('should trip the per-user limit at the configured count with RateLimit-* and Retry-After', async () => {
    const user = await signUp(gateway, 'limited@example.com');
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await gateway.inject({ method: 'GET', url: '/api/v1/tasks', headers: user.auth });
      expect(response.statusCode).toBe(200);
      expect(response.headers['ratelimit-limit']).toBe('5');
      remaining.push(String(response.headers['ratelimit-remaining']));
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);

    const rejected = await gateway.inject({ method: 'GET', url: '/api/v1/tasks', headers: user.auth });
    expect(rejected.statusCode).toBe(429);
    expect(rejected.headers['content-type']).toContain('application/problem+json');
    expect(rejected.json().code).toBe('RATE_LIMIT.EXCEEDED');
    const retryAfter = Number(rejected.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(rejected.headers['ratelimit-remaining']).toBe('0');
    expect(rejected.headers['ratelimit-policy']).toBe('5;w=60');

    const key = CacheKeys.rateLimitUserMinute(user.id);
    expect(Number(await redis.get(key))).toBe(6);
    expect(await redis.ttl(key)).toBeLessThanOrEqual(60);
    const ipTtl = await redis.ttl(CacheKeys.rateLimitIpHour('127.0.0.1'));
    expect(ipTtl).toBeGreaterThan(3500);
    expect(ipTtl).toBeLessThanOrEqual(3600);

    const metrics = (await gateway.injectManagement({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/taskflow_rate_limit_rejections_total\{scope="user",app="api-gateway"\} 1/);
  });

  it('should throttle login per IP more strictly', async () => {
    await redis.del(CacheKeys.rateLimitLoginIpMinute('127.0.0.1'));
    const attempt = () =>
      gateway.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'nobody@example.com', password: 'wrong-password' },
      });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await attempt()).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});

describe.each(['127.0.0.1', '10.0.0.0/8, 127.0.0.0/8'])(
  'rate limits behind a trusted proxy (TRUST_PROXY=%s)',
  (trustProxy) => {
    let fake: Awaited<ReturnType<typeof startFakeBackend>>;
    let gateway: Gateway;

    beforeAll(async () => {
      await flushDb(REDIS_URL);
      fake = await startFakeBackend();
      gateway = await startGateway({
        REDIS_URL,
        USER_SERVICE_PORT: String(fake.port),
        TASK_SERVICE_PORT: String(fake.port),
        RATE_LIMIT_LOGIN_PER_MINUTE: '3',
        TRUST_PROXY: trustProxy,
      });
    });

    afterAll(async () => {
      await gateway.close();
      await fake.close();
    });

    it('should key the login limit on the address the proxy saw, whatever the client wrote before it', async () => {
      // The test plays the proxy (peer 127.0.0.1): it appends the real client address after the client's own value.
      const attempt = (spoofed: string) =>
        gateway.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          headers: { 'x-forwarded-for': `${spoofed}, 203.0.113.9` },
          payload: { email: 'nobody@example.com', password: 'wrong-password' },
        });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await attempt(`198.51.100.${i}`)).statusCode);
      expect(statuses).toEqual([401, 401, 401, 429]);
      // Another client behind the same proxy is not locked out by the first one.
      const other = await gateway.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'x-forwarded-for': '203.0.113.10' },
        payload: { email: 'nobody@example.com', password: 'wrong-password' },
      });
      expect(other.statusCode).toBe(401);
    });
  },
);
