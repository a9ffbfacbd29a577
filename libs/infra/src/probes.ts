import { Kafka, logLevel, SASLOptions } from 'kafkajs';
import Redis from 'ioredis';
import { MongoClient } from 'mongodb';
import { Client } from 'pg';
import { isPortOpen } from './net';
import { InfraError } from './types';

/** Hides the password of a URL for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

function parseUrl(variable: string, value: string, protocols: string[]): URL {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new InfraError(`${variable}="${value}" is malformed: not a URL (expected ${protocols[0]}//host:port/...).`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new InfraError(
      `${variable}="${redact(value)}" is malformed: scheme must be ${protocols.join(' or ')} (got ${parsed.protocol}).`,
    );
  }
  if (!parsed.hostname) throw new InfraError(`${variable}="${redact(value)}" is malformed: no host.`);
  return parsed;
}

export function validatePostgresUrl(variable: string, value: string): void {
  parseUrl(variable, value, ['postgres:', 'postgresql:']);
}

export function validateRedisUrl(variable: string, value: string): void {
  parseUrl(variable, value, ['redis:', 'rediss:']);
}

export function validateMongoUrl(variable: string, value: string): void {
  if (value.startsWith('mongodb+srv://')) return;
  parseUrl(variable, value, ['mongodb:']);
}

/** Parses a comma-separated `host:port` list; throws naming the variable when malformed. */
export function parseKafkaBrokers(variable: string, value: string): string[] {
  const brokers = value
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw new InfraError(`${variable} is empty: expected host:port[,host:port...].`);
  for (const broker of brokers) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(broker);
    const port = match ? Number(match[2]) : 0;
    if (!match || port < 1 || port > 65535) {
      throw new InfraError(
        `${variable}="${value}" is malformed: "${broker}" is not host:port (expected e.g. 127.0.0.1:9092, comma-separated, no scheme).`,
      );
    }
  }
  return brokers;
}

function reason(error: unknown): string {
  const e = error as { code?: string; message?: string; errors?: { message?: string }[] };
  if (e?.errors?.length) return e.errors.map((x) => x.message).join('; ');
  return [e?.code, e?.message].filter(Boolean).join(' ') || String(error);
}

/** Connects and runs `select 1`; `timeoutMs` bounds the whole attempt. */
export async function probePostgres(url: string, timeoutMs = 5000): Promise<string> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  try {
    await client.connect();
    const result = await client.query<{ version: string }>('select version() as version');
    return result.rows[0].version;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function probeRedis(url: string, timeoutMs = 3000): Promise<string> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const info = await client.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } finally {
    client.disconnect();
  }
}

/**
 * Number of brokers in the cluster (DescribeCluster). `sasl`: credentials for a broker that requires
 * authentication (kafkajs `sasl` option, e.g. `{ mechanism: 'scram-sha-512', username, password }`).
 */
export async function probeKafka(brokers: string[], timeoutMs = 5000, sasl?: SASLOptions): Promise<number> {
  // Quick TCP check first: kafkajs itself would retry for a long time on a closed port.
  const reachable = await Promise.all(
    brokers.map((b) => {
      const i = b.lastIndexOf(':');
      return isPortOpen(b.slice(0, i).replace(/^\[|\]$/g, ''), Number(b.slice(i + 1)), Math.min(timeoutMs, 2000));
    }),
  );
  if (!reachable.some(Boolean)) throw new Error(`no broker accepts TCP connections (${brokers.join(', ')})`);
  const kafka = new Kafka({
    clientId: 'taskflow-infra-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    ...(sasl ? { sasl } : {}),
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface MongoProbe {
  version: string;
  /** True for mongo-java-server: it lacks `hello` and reports no gitVersion in buildInfo. */
  standIn: boolean;
}

export async function probeMongo(url: string, timeoutMs = 5000): Promise<MongoProbe> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs });
  try {
    await client.connect();
    const admin = client.db('admin');
    await admin.command({ ping: 1 });
    const info = await admin.command({ buildInfo: 1 });
    return { version: String(info.version ?? 'unknown'), standIn: !info.gitVersion };
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Runs a probe of a URL taken from `variable`, turning any failure into a one-line message naming it. */
export async function probeOrFail<T>(variable: string, shown: string, probe: () => Promise<T>): Promise<T> {
  try {
    return await probe();
  } catch (error) {
    throw new InfraError(`${variable}="${shown}" is unreachable or unusable: ${reason(error)}`);
  }
}

export { reason as errorReason };
