import * as fs from 'node:fs';
import * as path from 'node:path';
import { InfraConfig, infraDir } from '../config';
import { waitUntil } from '../net';
import { probeRedis } from '../probes';
import { isAlive, spawnDetached, tail, which } from '../proc';
import { InfraError, OwnedRecord } from '../types';

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
  try {
    await waitUntil(async () => !!(await probeRedis(url, 1000)), {
      timeoutMs: Math.min(cfg.startTimeoutMs, 30_000),
      describe: `redis-server on ${cfg.host}:${cfg.redisPort}`,
      failFast: () => (isAlive(proc.pid) ? undefined : `redis-server exited:\n${tail(logFile)}`),
    });
  } catch (error) {
    throw new InfraError(`${(error as Error).message} (log: ${logFile})`);
  }
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
