import { freePort } from '@taskflow/testing';
import { CacheStore } from './cache-store';
import { CacheKeys } from './keys';
import { countAndRead, decideFromReply } from './rate-limit';
import { createRedisClient } from './redis-client';

// Real Redis, logical DB 10 (flushed here only).
const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
url.pathname = '/10';

describe('CacheStore on real Redis', () => {
  const redis = createRedisClient(url.toString(), { commandTimeoutMs: 2000 });
  const cache = new CacheStore(redis);
  const [alice, bob, task, other] = ['a1', 'b2', 't1', 't2'];

  beforeAll(async () => {
    await redis.connect();
    await redis.flushdb();
  });
  afterAll(async () => {
    await redis.flushdb();
    redis.disconnect();
  });

  it('should invalidate a task, the views that contain it and the involved users, and nothing else', async () => {
    await cache.set(CacheKeys.task(task), { id: task }, 180);
    await cache.set(CacheKeys.task(other), { id: other }, 180);
    await cache.set(CacheKeys.taskList(bob, 'all', 1), [task], 60, { owner: bob, taskIds: [task] });
    await cache.set(CacheKeys.taskList(alice, 'todo', 1), [], 60, { owner: alice, taskIds: [] });
    await cache.set(CacheKeys.taskStats(alice), {}, 300);
    await cache.set(CacheKeys.taskList('carol', 'all', 1), [other], 60, { owner: 'carol', taskIds: [other] });

    await cache.invalidateTask(task, [alice]);

    expect(await redis.exists(CacheKeys.task(task))).toBe(0);
    expect(await redis.exists(CacheKeys.taskList(bob, 'all', 1))).toBe(0); // via the task's viewer index
    expect(await redis.exists(CacheKeys.taskList(alice, 'todo', 1))).toBe(0); // via the user index
    expect(await redis.exists(CacheKeys.taskStats(alice))).toBe(0);
    expect(await redis.exists(CacheKeys.task(other))).toBe(1);
    expect(await redis.exists(CacheKeys.taskList('carol', 'all', 1))).toBe(1);
  });

  it('should drop every cached response of one endpoint, and only those', async () => {
    await cache.set(CacheKeys.apiResponse('e1', 'p1'), { a: 1 }, 300, { endpoint: 'e1' });
    await cache.set(CacheKeys.apiResponse('e1', 'p2'), { a: 2 }, 300, { endpoint: 'e1' });
    await cache.set(CacheKeys.apiResponse('e2', 'p1'), { b: 1 }, 300, { endpoint: 'e2' });
    expect(await redis.ttl(CacheKeys.endpointIndex('e1'))).toBeGreaterThan(300);

    expect(await cache.invalidateEndpoint('e1')).toBe(3); // two responses and the index
    expect(await redis.exists(CacheKeys.apiResponse('e1', 'p1'), CacheKeys.apiResponse('e1', 'p2'))).toBe(0);
    expect(await redis.exists(CacheKeys.apiResponse('e2', 'p1'))).toBe(1);
    expect(await cache.invalidateEndpoint('e1')).toBe(0);
  });

  it('should use a value the caller already read instead of reading Redis again', async () => {
    await cache.set('k:prefetched', 'in redis', 60);
    const load = jest.fn(async () => 'from source');
    expect(await cache.readThrough('k:prefetched', 60, load, { prefetched: JSON.stringify('read before') })).toEqual({
      value: 'read before',
      cache: 'hit',
    });
    expect(await cache.readThrough('k:prefetched', 60, load, { prefetched: null })).toEqual({
      value: 'from source',
      cache: 'miss',
    });
    expect(load).toHaveBeenCalledTimes(1);
    expect(await cache.readThrough('k:prefetched', 60, load, { prefetched: '{not json' })).toEqual({
      value: 'from source',
      cache: 'bypass',
    });
  });

  it('should not overwrite what a writer stored while a read-through was loading (onlyIfAbsent)', async () => {
    const key = CacheKeys.userPermissions(alice);
    await redis.del(key);
    const { value } = await cache.readThrough(
      key,
      600,
      async () => {
        await cache.set(key, 'written meanwhile', 600); // e.g. a role change
        return 'read before the change';
      },
      { onlyIfAbsent: true },
    );
    expect(value).toBe('read before the change');
    expect(JSON.parse((await redis.get(key))!)).toBe('written meanwhile');
  });

  it('should count requests and read other keys in one rate-limit command', async () => {
    await redis.set('read:present', 'value');
    const rules = [
      { scope: 'user', key: 'rl:user', limit: 2, windowSeconds: 60 },
      { scope: 'ip', key: 'rl:ip', limit: 100, windowSeconds: 3600 },
    ];
    const first = await countAndRead(redis, rules, ['read:present', 'read:absent']);
    expect(first).toEqual([1, 60, 1, 3600, 'value', null]);
    await countAndRead(redis, rules);
    const third = await countAndRead(redis, rules, ['read:present']);
    expect(third.slice(0, 4)).toEqual([3, expect.any(Number), 3, expect.any(Number)]);
    expect(decideFromReply(rules, third.slice(0, 4) as number[])).toMatchObject({ allowed: false, scope: 'user' });
    expect(await redis.ttl('rl:ip')).toBeGreaterThan(3500);
  });

  it('should fail fast and bypass when Redis is unreachable (ioredis defaults wait ~73 s)', async () => {
    const dead = createRedisClient(`redis://127.0.0.1:${await freePort()}`);
    dead.on('error', () => undefined);
    await dead.connect().catch(() => undefined);
    const store = new CacheStore(dead);
    const started = performance.now();
    const result = await store.readThrough('task:x', 180, async () => 'from source');
    expect(result).toEqual({ value: 'from source', cache: 'bypass' });
    // A hang check, not a benchmark: answered at once instead of after the ~73 s offline-queue wait.
    expect(performance.now() - started).toBeLessThan(5000);
    dead.disconnect();
  });
});
