import { createRedisClient } from '@taskflow/cache';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { Topics } from '@taskflow/contracts';
import { createLogger } from '@taskflow/nest-kit';
import type { DbConfig } from '../src/config/user-service.config';
import { AuthenticateLimits, AuthenticateThrottle } from '../src/user/interface/messaging/authenticate-throttle';

export const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
export const silentLogger = createLogger('user-service-test', 'silent');

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export function withDatabase(url: string, database: string, user?: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  if (user) {
    parsed.username = user;
    parsed.password = '';
  }
  return parsed.toString();
}

export async function onMaintenance<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: withDatabase(SERVER_URL, 'postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A uniquely named database for one suite; `drop` removes it (and only it). */
export async function scratchDatabase(
  prefix: string,
): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = uniqueName(prefix);
  await onMaintenance((client) => client.query(`CREATE DATABASE "${name}"`));
  return {
    name,
    url: withDatabase(SERVER_URL, name),
    drop: () =>
      onMaintenance((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

export function dbConfig(url: string, overrides: Partial<DbConfig> = {}): DbConfig {
  return {
    url,
    readUrls: [],
    poolMax: 5,
    idleTimeoutMs: 1000,
    connectTimeoutMs: 2000,
    statementTimeoutMs: 5000,
    slowQueryMs: 0,
    tls: { enabled: false, caFile: '', rejectUnauthorized: true },
    migrationsRun: false,
    migrationUrl: '',
    ...overrides,
  };
}

/** Broker auto-creation is off: create the user topic (a no-op when it exists). */
export async function ensureUserTopic(): Promise<void> {
  const admin = new Kafka({
    clientId: uniqueName('us-admin'),
    brokers: KAFKA_BROKERS,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic: Topics.user, numPartitions: 3, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end with `stdin` written and closed; resolves with its exit code and output. */
export function runProcess(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; stdin?: string },
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** Redis of these tests' `user.authenticate` throttle (DB 14; other suites own DBs 2-13 and 15); counters expire, nothing flushed. */
export const TEST_REDIS_URL = (() => {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  url.pathname = '/14';
  return url.toString();
})();

/** The throttle as main.ts builds it, on a connected client of TEST_REDIS_URL; `close` disconnects it. */
export async function testThrottle(
  limits: AuthenticateLimits = { perEmailPerMinute: 1000, perSourcePerMinute: 100_000 },
): Promise<{ throttle: AuthenticateThrottle; close: () => void }> {
  const redis = createRedisClient(TEST_REDIS_URL, { commandTimeoutMs: 2000 });
  await redis.connect();
  return { throttle: new AuthenticateThrottle(redis, limits), close: () => redis.disconnect() };
}
