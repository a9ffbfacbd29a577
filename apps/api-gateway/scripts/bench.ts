/**
 * Quick gateway-only benchmark while working on the read path (the full report is `npm run bench`, which
 * runs the production build with every app): req/s and p50/p99 latency of
 *   1. GET /api/v1/tasks/:id served from the Redis cache,
 *   2. the same with read-through off (CACHE_ENABLED=false: gateway → task-service → PostgreSQL),
 *   3. a bare Fastify hello-world route (the yardstick),
 * each with autocannon at the same connections and duration, every server in its own process.
 * Starts the real user-service and task-service on a scratch database; Redis DB 9 (flushed).
 *
 *   node -r @swc-node/register apps/api-gateway/scripts/bench.ts [--connections 50] [--duration 10]
 */
import { measureHttp } from '@taskflow/bench';
import { createRedisClient } from '@taskflow/cache';
import { generateFieldEncryptionKeyEnv, generateSigningKeyEnv } from '@taskflow/infra';
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { createScratchDatabase, freePort, ServiceProcess, startDomainServices } from '@taskflow/testing';

const ROOT = path.resolve(__dirname, '../../..');
const arg = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const CONNECTIONS = arg('connections', 50);
const DURATION = arg('duration', 10);
const CLOCK_TICKS = 100; // USER_HZ of /proc/<pid>/stat on Linux

function startNode(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'ignore' });
}

async function waitFor(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} not ready`);
}

async function json(url: string, init: RequestInit): Promise<Record<string, string>> {
  const response = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...init.headers } });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<Record<string, string>>;
}

/**
 * CPU time (user + system, ms) a process has used so far, from /proc (Linux; undefined elsewhere).
 * Per request it is far steadier than req/s on a machine shared with other work: a process waiting
 * for a CPU loses throughput but not CPU time.
 */
function cpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

async function run(name: string, url: string, server: ChildProcess, headers: Record<string, string> = {}) {
  const before = cpuMs(server.pid);
  const result = await measureHttp({ url, connections: CONNECTIONS, durationSec: DURATION, headers });
  const after = cpuMs(server.pid);
  const requests = result.ok + result.non2xx;
  return {
    name,
    'req/s': result.rps,
    'p50 ms': result.p50Ms,
    'p99 ms': result.p99Ms,
    non2xx: result.non2xx,
    errors: result.errors,
    'server CPU µs/req':
      before === undefined || after === undefined ? '-' : Math.round((1000 * (after - before)) / requests),
  };
}

/** Flushes only the bench's own logical DB. */
async function flushDb(url: string): Promise<void> {
  const redis = createRedisClient(url, { commandTimeoutMs: 5000 });
  await redis.connect();
  await redis.flushdb();
  redis.disconnect();
}

async function main(): Promise<void> {
  process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
  // Token keys for this run only; every process started below inherits them.
  if (!process.env.JWT_PRIVATE_KEY) Object.assign(process.env, generateSigningKeyEnv());
  if (!process.env.PII_ENCRYPTION_KEYS) Object.assign(process.env, generateFieldEncryptionKeyEnv());
  const database = await createScratchDatabase('gateway_bench');
  const children: ChildProcess[] = [];
  const services: ServiceProcess[] = [];
  try {
    const [cached, uncached, bare] = await Promise.all([freePort(), freePort(), freePort()]);
    const common = { DATABASE_URL: database.url, MIGRATIONS_RUN: 'true', LOG_LEVEL: 'warn' };
    const { userRpcPort, taskRpcPort } = await startDomainServices(common, (service) => services.push(service));
    const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    redisUrl.pathname = '/9';
    await flushDb(redisUrl.toString());
    const gatewayEnv = {
      REDIS_URL: redisUrl.toString(),
      USER_SERVICE_PORT: String(userRpcPort),
      TASK_SERVICE_PORT: String(taskRpcPort),
      RATE_LIMIT_USER_PER_MINUTE: '100000000',
      RATE_LIMIT_IP_PER_HOUR: '100000000',
      LOG_LEVEL: 'warn',
      GATEWAY_HOST: '127.0.0.1',
    };
    const gatewayMain = ['-r', '@swc-node/register', 'apps/api-gateway/src/main.ts'];
    const cachedGateway = startNode(gatewayMain, { ...gatewayEnv, GATEWAY_PORT: String(cached) });
    const uncachedGateway = startNode(gatewayMain, {
      ...gatewayEnv,
      GATEWAY_PORT: String(uncached),
      CACHE_ENABLED: 'false',
    });
    const bareServer = startNode(
      [
        '-e',
        `require('fastify')().get('/hello', async () => ({ hello: 'world' })).listen({ port: ${bare}, host: '127.0.0.1' })`,
      ],
      {},
    );
    children.push(cachedGateway, uncachedGateway, bareServer);
    await Promise.all([
      waitFor(`http://127.0.0.1:${cached}/health/live`),
      waitFor(`http://127.0.0.1:${uncached}/health/live`),
      waitFor(`http://127.0.0.1:${bare}/hello`),
    ]);

    const api = `http://127.0.0.1:${cached}/api/v1`;
    const credentials = { email: `bench-${Date.now()}@example.com`, password: 'bench-password-1' };
    await json(`${api}/auth/register`, { method: 'POST', body: JSON.stringify(credentials) });
    const { accessToken } = await json(`${api}/auth/login`, { method: 'POST', body: JSON.stringify(credentials) });
    const auth = { authorization: `Bearer ${accessToken}` };
    const task = await json(`${api}/tasks`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ title: 'bench' }),
    });
    await json(`${api}/tasks/${task.id}`, { headers: auth });

    console.log(`autocannon: ${CONNECTIONS} connections, ${DURATION} s each, Node ${process.version}`);
    console.log(
      `load average before: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    const results = [
      await run('GET /api/v1/tasks/:id (cached)', `${api}/tasks/${task.id}`, cachedGateway, auth),
      await run(
        'GET /api/v1/tasks/:id (uncached)',
        `http://127.0.0.1:${uncached}/api/v1/tasks/${task.id}`,
        uncachedGateway,
        auth,
      ),
      await run('bare Fastify GET /hello', `http://127.0.0.1:${bare}/hello`, bareServer),
    ];
    console.table(results);
    const yardstick = results[2]['req/s'];
    console.log(
      `cached/bare = ${(results[0]['req/s'] / yardstick).toFixed(2)}, uncached/bare = ${(results[1]['req/s'] / yardstick).toFixed(2)}, cached/uncached = ${(results[0]['req/s'] / results[1]['req/s']).toFixed(2)}`,
    );
    console.log(
      `load average after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
    const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    redisUrl.pathname = '/9';
    await flushDb(redisUrl.toString()).catch(() => undefined);
    await Promise.all(services.map((service) => service.stop()));
    await database.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
