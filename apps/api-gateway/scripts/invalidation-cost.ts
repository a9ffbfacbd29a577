/**
 * Measures what one task write costs in cache invalidation with 100,000 cached keys present, and
 * compares it with the SCAN sweep the seed's `KEYS task:list:user:*` would otherwise need.
 * Uses Redis logical DB 5 (REDIS_URL's host) and flushes only that DB.
 *
 *   node -r @swc-node/register apps/api-gateway/scripts/invalidation-cost.ts
 */
import { CacheKeys, CacheStore, CacheTtl, createRedisClient } from '@taskflow/cache';
import { randomUUID } from 'node:crypto';

const USERS = 7_200;
const TASKS_PER_USER = 4; // 4 tasks + 4 lists + stats + index sets ≈ 14 keys per user → ~100k keys
const SAMPLES = 200;

async function main(): Promise<void> {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  url.pathname = '/5';
  const redis = createRedisClient(url.toString(), { commandTimeoutMs: 10_000 });
  await redis.connect();
  await redis.flushdb();
  const cache = new CacheStore(redis);

  const users = Array.from({ length: USERS }, () => randomUUID());
  const taskOwners: [string, string][] = [];
  for (let batch = 0; batch < users.length; batch += 250) {
    await Promise.all(
      users.slice(batch, batch + 250).map(async (userId) => {
        const tasks = Array.from({ length: TASKS_PER_USER }, () => randomUUID());
        for (const taskId of tasks) {
          taskOwners.push([taskId, userId]);
          await cache.set(CacheKeys.task(taskId), { id: taskId, creatorId: userId }, CacheTtl.task);
        }
        for (const status of ['all', 'todo', 'in_progress', 'done']) {
          await cache.set(CacheKeys.taskList(userId, status, 1), { items: tasks }, CacheTtl.taskList, {
            owner: userId,
            taskIds: tasks,
          });
        }
        await cache.set(CacheKeys.taskStats(userId), { total: TASKS_PER_USER }, CacheTtl.taskStats);
      }),
    );
  }
  const keys = await redis.dbsize();

  const timings: number[] = [];
  let deleted = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const [taskId, owner] = taskOwners[i * 97];
    const started = process.hrtime.bigint();
    deleted += await cache.invalidateTask(taskId, [owner]);
    timings.push(Number(process.hrtime.bigint() - started) / 1e6);
  }

  const scanStarted = process.hrtime.bigint();
  let cursor = '0';
  let matched = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', 'task:list:user:*', 'COUNT', 1000);
    cursor = next;
    matched += found.length;
  } while (cursor !== '0');
  const scanMs = Number(process.hrtime.bigint() - scanStarted) / 1e6;

  timings.sort((a, b) => a - b);
  const pct = (p: number) => timings[Math.min(timings.length - 1, Math.floor((p / 100) * timings.length))].toFixed(2);
  console.log(`cached keys present:            ${keys}`);
  console.log(`invalidations measured:         ${SAMPLES} (keys deleted per write: ${(deleted / SAMPLES).toFixed(1)})`);
  console.log(`index-based invalidation:       p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${pct(100)} ms`);
  console.log(`one SCAN sweep of task:list:*:  ${scanMs.toFixed(1)} ms (${matched} keys matched) per write otherwise`);
  await redis.flushdb();
  redis.disconnect();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
