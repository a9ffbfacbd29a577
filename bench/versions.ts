import { readState, ResolvedBackend } from '@taskflow/infra';
import { Redis } from 'ioredis';
import fs from 'node:fs';
import path from 'node:path';
import type { BenchSystem } from './system';

/** Version of a jar on the class path of a running JVM (the local-process Kafka and mongo-java-server). */
function jarVersion(pid: number | undefined, jar: RegExp): string | undefined {
  if (!pid) return undefined;
  try {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const classPath = args[args.findIndex((arg) => arg === '-cp' || arg === '-classpath') + 1] ?? '';
    const files = classPath
      .split(':')
      .flatMap((entry) => (entry.endsWith('/*') ? fs.readdirSync(entry.slice(0, -2)) : [path.basename(entry)]));
    return files.map((file) => jar.exec(file)?.[1]).find(Boolean);
  } catch {
    return undefined;
  }
}

export async function serverVersions(
  system: BenchSystem,
  backends: Record<'kafka' | 'mongo', ResolvedBackend>,
): Promise<Record<string, string>> {
  // The pid of a backend this workspace started (recorded in .infra/state.json); none for a reused one.
  const owned = readState().backends;
  const pid = (name: 'kafka' | 'mongo') => (owned[name]?.url === backends[name].url ? owned[name]?.pid : undefined);
  const postgres = (await system.pg.query('SHOW server_version')).rows[0].server_version as string;
  const redis = new Redis(system.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const info = await redis.info('server').finally(() => redis.disconnect());
  const { version: mongoReports } = await system.mongo.db('admin').command({ buildInfo: 1 });
  const standIn = jarVersion(pid('mongo'), /^mongo-java-server-core-([\d.]+)\.jar$/);
  const kafka = jarVersion(pid('kafka'), /^kafka-server-([\d.]+)\.jar$/);
  return {
    PostgreSQL: postgres,
    Redis: `${/redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown'} (own redis-server)`,
    Kafka: kafka ?? `unknown (${backends.kafka.provider})`,
    MongoDB:
      backends.mongo.provider === 'mongo-java-server'
        ? `mongo-java-server${standIn ? ` ${standIn}` : ''} stand-in (reports ${mongoReports})`
        : `${mongoReports} (${backends.mongo.provider})`,
  };
}
