import * as fs from 'node:fs';
import * as path from 'node:path';
import { InfraError } from './types';

/** The workspace root: TASKFLOW_ROOT, else the nearest folder above this file holding nx.json. */
export function workspaceRoot(): string {
  if (process.env.TASKFLOW_ROOT) return path.resolve(process.env.TASKFLOW_ROOT);
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'nx.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** Everything local (jars, data, logs, state) lives under this git-ignored folder. */
export function infraDir(): string {
  return path.resolve(process.env.TASKFLOW_INFRA_DIR ?? path.join(workspaceRoot(), '.infra'));
}

export function intEnv(name: string, fallback: number, min = 1, max = 65535): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InfraError(`${name}="${raw}" is invalid: expected an integer between ${min} and ${max}.`);
  }
  return value;
}

export interface InfraConfig {
  host: '127.0.0.1';
  postgresPort: number;
  postgresDb: string;
  postgresUser: string;
  postgresPassword: string;
  redisPort: number;
  kafkaPort: number;
  kafkaControllerPort: number;
  kafkaHeap: string;
  mongoPort: number;
  docker: 'auto' | 'off' | 'require';
  startTimeoutMs: number;
}

export function loadConfig(): InfraConfig {
  const kafkaPort = intEnv('KAFKA_PORT', 9092);
  const dockerRaw = (process.env.TASKFLOW_INFRA_DOCKER ?? 'auto').toLowerCase();
  const docker = ['0', 'false', 'off', 'no'].includes(dockerRaw)
    ? 'off'
    : ['1', 'true', 'on', 'require', 'yes'].includes(dockerRaw)
      ? 'require'
      : 'auto';
  return {
    host: '127.0.0.1',
    postgresPort: intEnv('POSTGRES_PORT', 5432),
    postgresDb: process.env.POSTGRES_DB || 'taskflow',
    postgresUser: process.env.POSTGRES_USER || 'postgres',
    postgresPassword: process.env.POSTGRES_PASSWORD ?? '',
    redisPort: intEnv('REDIS_PORT', 6379),
    kafkaPort,
    kafkaControllerPort: intEnv('KAFKA_CONTROLLER_PORT', kafkaPort + 1),
    kafkaHeap: process.env.KAFKA_HEAP || '512m',
    mongoPort: intEnv('MONGO_PORT', 27017),
    docker,
    startTimeoutMs: intEnv('INFRA_START_TIMEOUT_MS', 120_000, 1000, 3_600_000),
  };
}

export function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
