import * as fs from 'node:fs';
import * as path from 'node:path';
import { InfraConfig, infraDir } from '../config';
import { probeRedis } from '../probes';
import { spawnDetached, which } from '../proc';
import { InfraError, OwnedRecord } from '../types';
import { awaitServerReady } from './server-ready';

export function redisUrl(cfg: InfraConfig): string {
  return `redis://${cfg.host}:${cfg.redisPort}`;
}

/** Starts `redis-server` from PATH on loopback, data under .infra/data/redis-<port> (no persistence). */
export async function startRedisServer(cfg: InfraConfig): Promise<OwnedRecord> {
  const binary = which('redis-server');
  if (!binary) {
    throw new InfraError(
      `No Redis answers on ${cfg.host}:${cfg.redisPort} and redis-server is not installed. ` +
        `Install it (Debian/Ubuntu: "sudo apt-get install -y redis-server"; macOS: "brew install redis") or set REDIS_URL.`,
    );
  }
  const dataDir = path.join(infraDir(), 'data', `redis-${cfg.redisPort}`);
  fs.mkdirSync(dataDir, { recursive: true });
  const logFile = path.join(infraDir(), 'logs', `redis-${cfg.redisPort}.log`);
  const args = [
    '--bind',
    cfg.host,
    '--port',
    String(cfg.redisPort),
    '--dir',
    dataDir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--protected-mode',
    'yes',
  ];
  const proc = spawnDetached(binary, args, logFile);
  const url = redisUrl(cfg);
  await awaitServerReady(proc, {
    probe: async () => !!(await probeRedis(url, 1000)),
    timeoutMs: Math.min(cfg.startTimeoutMs, 30_000),
    intervalMs: 250,
    what: 'redis-server',
    where: `${cfg.host}:${cfg.redisPort}`,
  });
  return {
    name: 'redis',
    provider: 'local-process',
    url,
    pid: proc.pid,
    port: cfg.redisPort,
    dataDir,
    logFile,
    cmdlineMarker: `:${cfg.redisPort}`,
    startedAt: new Date().toISOString(),
  };
}
