import { freePort, waitFor } from '@taskflow/testing';
import Redis from 'ioredis';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlVersion, podSpecOf, renderOverlay } from '../src/testing/k8s';
import { readYaml } from '../src/testing/repo';
import { expandKubernetesValue, REALISTIC_SECRETS } from '../src/testing/workload-env';

// Seed 001 "Redis Backup Strategy": RDB snapshots (save 900 1 / 300 10 / 60 10000, dbfilename dump.rdb)
// and AOF (appendonly yes, appendfilename "appendonly.aof", appendfsync everysec). The Redis command lines
// docker compose and the dev overlay render are run by a real redis-server here, which must report exactly
// those settings and bring a written key back after a restart.
const SEED_001 = {
  save: '900 1 300 10 60 10000',
  dbfilename: 'dump.rdb',
  appendonly: 'yes',
  appendfilename: 'appendonly.aof',
  appendfsync: 'everysec',
};

const hasRedisServer = spawnSync('bash', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status === 0;
if (!hasRedisServer) process.stderr.write('SKIPPED Redis persistence: redis-server is not on PATH.\n');

/** The redis-server arguments of docker compose's redis service. */
function composeRedisArgs(): string[] {
  const compose = readYaml<{ services: { redis: { command: string[] } } }>('docker-compose.yml');
  const [binary, ...args] = compose.services.redis.command;
  expect(binary).toBe('redis-server');
  return args;
}

/** The redis-server arguments of the dev overlay's StatefulSet (the image entrypoint prepends redis-server). */
function kubernetesRedisArgs(): string[] {
  const sts = renderOverlay('dev').find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'taskflow-redis')!;
  const container = podSpecOf(sts).containers[0];
  expect(container.command).toBeUndefined();
  const env = { REDIS_PASSWORD: REALISTIC_SECRETS.REDIS_PASSWORD };
  return container.args.map((arg: string) => expandKubernetesValue(String(arg), env));
}

/** `args` with the data directory moved to `dir` (the container's volume), on a loopback port. */
function localArgs(args: string[], dir: string, port: number): string[] {
  const out = [...args];
  const at = out.indexOf('--dir');
  expect(at).toBeGreaterThanOrEqual(0);
  out[at + 1] = dir;
  return [...out, '--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'no'];
}

const cases: [string, () => string[]][] = [['docker compose', composeRedisArgs]];
if (kubectlVersion()) cases.push(['Kubernetes dev overlay', kubernetesRedisArgs]);

(hasRedisServer ? describe : describe.skip).each(cases)('Redis persistence: %s', (_where, argsOf) => {
  let dir: string;
  let server: ChildProcess | undefined;
  const clients: Redis[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskflow-redis-persistence-'));
  });
  afterEach(async () => {
    // QUIT lets the server close the socket (disconnect() leaves ioredis a timer that outlives the test).
    await Promise.all(clients.splice(0).map((client) => client.quit().catch(() => undefined)));
    server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(args: string[], port: number): Promise<Redis> {
    server = spawn('redis-server', args, { stdio: 'ignore' });
    const password = args.includes('--requirepass') ? args[args.indexOf('--requirepass') + 1] : undefined;
    const client = new Redis({
      port,
      host: '127.0.0.1',
      password,
      enableOfflineQueue: false,
      commandTimeout: 5000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 100,
      disconnectTimeout: 100, // its timer outlives a socket the server already closed
    });
    client.on('error', () => undefined); // refused while the server starts; waitFor reports a real failure
    clients.push(client);
    await waitFor(async () => (await client.ping()) === 'PONG', { timeoutMs: 20_000, description: 'redis-server up' });
    return client;
  }

  it('runs with the seed-001 RDB and AOF settings and keeps a written key across a restart', async () => {
    const port = await freePort();
    const args = localArgs(argsOf(), dir, port);
    const first = await start(args, port);
    const settings: Record<string, string> = {};
    for (const name of Object.keys(SEED_001)) {
      const [, value] = (await first.config('GET', name)) as string[];
      settings[name] = value;
    }
    expect(settings).toEqual(SEED_001);
    await first.set('taskflow:persistence-check', 'kept');
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    await first.shutdown('SAVE').catch(() => undefined); // the connection closes as the server exits
    first.disconnect();
    await exited;
    expect(existsSync(join(dir, 'dump.rdb'))).toBe(true);
    expect(existsSync(join(dir, 'appendonlydir'))).toBe(true);

    const second = await start(args, port);
    expect(await second.get('taskflow:persistence-check')).toBe('kept');
  }, 60_000);
});
