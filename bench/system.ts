import { deadLetterTopic, Topics } from '@taskflow/contracts';
import { ensureKafkaTopics, generateCheckpointKeyEnv, generateFieldEncryptionKeyEnv, generateSigningKeyEnv } from '@taskflow/infra';
import {
  createServiceDatabase,
  eventKeyEnv,
  freePort,
  prefixOutboxTopics,
  ServiceProcess,
  startService,
  uniqueName,
  waitFor,
} from '@taskflow/testing';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { Db, MongoClient } from 'mongodb';
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';

const ROOT = path.resolve(__dirname, '..');

export interface BenchProcess {
  name: string;
  pid: number;
}

/** The four apps (and a second gateway with the cache off, and a bare Fastify) on scratch resources. */
export interface BenchSystem {
  /** Base URL of the gateway (cache on) and of the same gateway build with CACHE_ENABLED=false. */
  gateway: string;
  gatewayUncached: string;
  /** A bare Fastify hello-world route: the yardstick. */
  hello: string;
  /** The bench's own redis-server (the gateways' cache, sessions and rate limits). */
  redisUrl: string;
  /** Connected to the scratch PostgreSQL database. */
  pg: Client;
  /** The audit store (scratch database) and its server. */
  mongo: MongoClient;
  auditDb: Db;
  kafka: Kafka;
  /** The bench's own topics: what the services publish to (rewritten in the outbox) and a synthetic ingest topic. */
  topics: { task: string; user: string; ingest: string };
  processes: BenchProcess[];
  /** Stops and removes everything started here, in reverse order; errors are logged, not thrown. */
  stop(): Promise<void>;
}

export interface SystemOptions {
  log: (line: string) => void;
  /** Receives `stop` before anything starts, so an interrupt during start-up can clean up too. */
  onStop?: (stop: () => Promise<void>) => void;
}

type Cleanup = [string, () => Promise<unknown>];

/**
 * A redis-server of our own on a free port (no persistence). Not a logical DB of the shared Redis: on a shared
 * machine every DB number may be some test's, and the FLUSHDB that removes the gateway's keys afterwards could
 * then wipe another run's keys.
 */
async function startOwnRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (error) => reject(new Error(`cannot run redis-server (${error.message}): install it`))),
  );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  const url = `redis://127.0.0.1:${port}`;
  const ping = async () => {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => undefined); // not listening yet: the ping fails and is retried
    try {
      await redis.connect();
      return (await redis.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      redis.disconnect();
    }
  };
  try {
    await Promise.race([
      spawnError,
      waitFor(ping, { timeoutMs: 15_000, intervalMs: 100, description: `redis-server on port ${port} answers` }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

function withDatabase(mongoUrl: string, database: string): string {
  const url = new URL(mongoUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * mongo-java-server's H2 backend once refused a dropDatabase here ("Expected [indexes] to be empty"); then drop
 * the collections one by one and try again.
 */
async function dropMongoDatabase(db: Db): Promise<void> {
  try {
    await db.dropDatabase();
  } catch {
    for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
      await db.dropCollection(name).catch(() => undefined);
    }
    await db.dropDatabase();
  }
}

/** A bare Fastify hello-world in its own process, production mode, same Node binary as the apps. */
async function startHello(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('fastify')().get('/hello', async () => ({ hello: 'world' })).listen({ port: ${port}, host: '127.0.0.1' })`,
    ],
    { cwd: ROOT, env: { ...process.env, NODE_ENV: 'production' }, stdio: 'ignore' },
  );
  const deadline = Date.now() + 30_000;
  while (
    !(await fetch(`http://127.0.0.1:${port}/hello`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (child.exitCode !== null) throw new Error(`bare Fastify exited (${child.exitCode})`);
    if (Date.now() > deadline) throw new Error('bare Fastify did not answer within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return child;
}

/**
 * Starts the system from dist/ (build it first) the way the production image runs it: plain node,
 * NODE_ENV=production, LOG_LEVEL=warn (but APP_ENV=development: no TLS to the local backends). Everything it
 * touches is its own: a scratch PostgreSQL database, a redis-server, uniquely named topics (a trigger in the
 * scratch database prefixes the outbox topics, so the shared taskflow.* topics get no bench traffic), a consumer
 * group and a MongoDB database.
 */
export async function startBenchSystem(env: NodeJS.ProcessEnv, options: SystemOptions): Promise<BenchSystem> {
  const { log } = options;
  const cleanups: Cleanup[] = [];
  let stopping: Promise<void> | undefined;
  // Once: a Ctrl-C may arrive while the run is already cleaning up.
  const stop = () =>
    (stopping ??= (async () => {
      for (const [name, cleanup] of cleanups.reverse()) {
        await cleanup().catch((error: Error) => log(`[bench] cleanup of ${name} failed: ${error.message}`));
      }
    })());
  options.onStop?.(stop);
  try {
    const id = uniqueName('bench');
    const prefix = `${id}.`;
    const topics = { task: prefix + Topics.task, user: prefix + Topics.user, ingest: `${prefix}ingest.${Topics.task}` };
    const brokers = env.KAFKA_BROKERS ?? '127.0.0.1:9092';

    const database = await createServiceDatabase('bench');
    cleanups.push([`database ${database.name}`, () => database.drop()]);
    const redis = await startOwnRedis();
    cleanups.push(['redis-server', redis.stop]);

    const kafka = new Kafka({ clientId: 'taskflow-bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
    const allTopics = [topics.task, topics.user, topics.ingest, prefix + Topics.system];
    const withDlq = allTopics.flatMap((topic) => [topic, deadLetterTopic(topic)]);
    await ensureKafkaTopics(brokers, withDlq, { partitions: 3 });
    cleanups.push([
      'topics',
      async () => {
        const admin = kafka.admin();
        await admin.connect();
        await admin.deleteTopics({ topics: withDlq }).finally(() => admin.disconnect());
      },
    ]);

    const mongoName = id.replace(/-/g, '_');
    const mongo = await MongoClient.connect(withDatabase(env.MONGO_URL ?? 'mongodb://127.0.0.1:27017', mongoName));
    cleanups.push([
      `MongoDB ${mongoName}`,
      async () => {
        // The ingest phase's raw baseline uses a sibling database.
        for (const name of [mongoName, `${mongoName}_raw`]) await dropMongoDatabase(mongo.db(name));
        await mongo.close();
      },
    ]);

    const [userRpc, taskRpc, gateway, gatewayUncached, auditHttp, hello] = await Promise.all(
      Array.from({ length: 6 }, () => freePort()),
    );
    // Management ports (health, status, metrics), one per app process.
    const [userManagement, taskManagement, gatewayManagement, uncachedManagement, auditManagement] = await Promise.all(
      Array.from({ length: 5 }, () => freePort()),
    );
    const common = {
      NODE_ENV: 'production',
      // The production configuration profile demands TLS to every backend; the local ones speak plaintext.
      APP_ENV: 'development',
      LOG_LEVEL: 'warn',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      KAFKA_BROKERS: brokers,
      ...generateSigningKeyEnv(),
      ...generateFieldEncryptionKeyEnv(),
      ...generateCheckpointKeyEnv(),
      // One event key for every app and the ingest phase's publisher (may sign every topic): the bench measures
      // throughput, per-producer keys are the fault suite's and the tests' subject.
      ...eventKeyEnv(),
    };
    const processes: BenchProcess[] = [];
    const services: ServiceProcess[] = [];
    cleanups.push(['apps', () => Promise.all(services.map((service) => service.stop()))]);
    const start = async (name: string, app: string, management: number, appEnv: Record<string, string>) => {
      const service = await startService(
        app,
        { ...common, ...appEnv, MANAGEMENT_PORT: String(management) },
        `http://127.0.0.1:${management}/health/ready`,
        { fromDist: true },
      );
      services.push(service);
      processes.push({ name, pid: service.child.pid! });
    };

    log('[bench] starting user-service and task-service (migrations on a scratch database) …');
    // task-service's tables reference users: user-service migrates first.
    await start('user-service', 'user-service', userManagement, {
      ...database.env('user-service'),
      MIGRATIONS_RUN: 'true',
      USER_SERVICE_PORT: String(userRpc),
    });
    await start('task-service', 'task-service', taskManagement, {
      ...database.env('task-service'),
      MIGRATIONS_RUN: 'true',
      TASK_SERVICE_PORT: String(taskRpc),
    });

    const pg = new Client({ connectionString: database.url });
    await pg.connect();
    cleanups.push(['PostgreSQL client', () => pg.end()]);
    await prefixOutboxTopics(pg, prefix);

    log('[bench] starting api-gateway (cache on), api-gateway (cache off), audit-service, bare Fastify …');
    const gatewayEnv = (port: number) => ({
      GATEWAY_PORT: String(port),
      GATEWAY_HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      USER_SERVICE_PORT: String(userRpc),
      TASK_SERVICE_PORT: String(taskRpc),
      AUDIT_SERVICE_URL: `http://127.0.0.1:${auditHttp}`,
      // One bench user sends thousands of requests per second: far above the production limits.
      RATE_LIMIT_USER_PER_MINUTE: '1000000000',
      RATE_LIMIT_IP_PER_HOUR: '1000000000',
    });
    const helloChild = await startHello(hello);
    cleanups.push(['bare Fastify', async () => void helloChild.kill('SIGTERM')]);
    // allSettled: a failure must not leave another app starting after the cleanup ran.
    const started = await Promise.allSettled([
      start('api-gateway', 'api-gateway', gatewayManagement, gatewayEnv(gateway)),
      start('api-gateway (cache off)', 'api-gateway', uncachedManagement, {
        ...gatewayEnv(gatewayUncached),
        CACHE_ENABLED: 'false',
      }),
      start('audit-service', 'audit-service', auditManagement, {
        REDIS_URL: redis.url,
        MONGO_URL: withDatabase(env.MONGO_URL ?? 'mongodb://127.0.0.1:27017', mongoName),
        AUDIT_TOPICS: [topics.task, topics.user, topics.ingest].join(','),
        AUDIT_SYSTEM_TOPIC: prefix + Topics.system,
        AUDIT_CONSUMER_GROUP: id,
        AUDIT_HTTP_PORT: String(auditHttp),
        AUDIT_HTTP_HOST: '127.0.0.1',
      }),
    ]);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    processes.push({ name: 'bare Fastify', pid: helloChild.pid! });
    const order = ['user-service', 'task-service', 'api-gateway', 'api-gateway (cache off)', 'audit-service'];
    processes.sort((a, b) => (order.indexOf(a.name) + 1 || 99) - (order.indexOf(b.name) + 1 || 99));

    return {
      gateway: `http://127.0.0.1:${gateway}`,
      gatewayUncached: `http://127.0.0.1:${gatewayUncached}`,
      hello: `http://127.0.0.1:${hello}/hello`,
      redisUrl: redis.url,
      pg,
      mongo,
      auditDb: mongo.db(mongoName),
      kafka,
      topics,
      processes,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
