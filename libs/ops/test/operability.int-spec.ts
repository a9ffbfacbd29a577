import {
  createServiceDatabase,
  freePort,
  ServiceDatabase,
  ServiceProcess,
  signedMessage,
  startService,
  startTcpProxy,
  TcpProxy,
  uniqueName,
  waitFor,
} from '@taskflow/testing';
import { createEnvelope, Topics, Events } from '@taskflow/contracts';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { PrivateBackend, startPrivateKafka, startPrivateMongo, startPrivateRedis } from './support/private-backends';

/**
 * Operability of the four apps, each run from its sources against private backends (stopped by pid) and the
 * machine's PostgreSQL behind a TCP proxy (cut, never stopped).
 *
 * Metrics: /metrics is scraped, real traffic is driven through the gateway, and the metrics move.
 *
 * Readiness flips and recovers per dependency, with every app run from its sources against private
 * backends (stopped by pid) and the machine's PostgreSQL behind a TCP proxy (cut, never stopped).
 * Hard dependency down → /health/ready 503; soft dependency down → 200, `degraded`, that check `down`.
 * Recovery happens without restarting the app.
 */
jest.setTimeout(300_000);
/* eslint-disable @typescript-eslint/no-explicit-any */

const FLIP_WITHIN_MS = 30_000;
/** Reconnecting includes the clients' back-off on a loaded machine. */
const RECOVER_WITHIN_MS = 60_000;

interface Ready {
  statusCode: number;
  status: string;
  checks: { name: string; status: string }[];
}

/** Sum of the samples of `name` whose labels include every pair of `labels` (0 when there is none). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    if (!Object.entries(labels).every(([key, value]) => (match[2] ?? '').includes(`${key}="${value}"`))) continue;
    found = true;
    total += Number(match[3]);
  }
  return found ? total : Number.NaN;
}

async function scrape(httpPort: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(5000) });
  expect(response.status).toBe(200);
  return response.text();
}

async function ready(httpPort: number): Promise<Ready> {
  const response = await fetch(`http://127.0.0.1:${httpPort}/health/ready`, { signal: AbortSignal.timeout(5000) });
  const body = (await response.json()) as Omit<Ready, 'statusCode'>;
  return { statusCode: response.status, ...body };
}

function check(result: Ready, name: string): string | undefined {
  return result.checks.find((entry) => entry.name === name)?.status;
}

/** Polls until readiness matches: a hard failure (503 with `name` down), degraded (200 with `name` down) or ok. */
async function expectReadiness(port: number, state: 'hard-down' | 'degraded' | 'ok', name: string): Promise<Ready> {
  let last: Ready | undefined;
  const deadline = Date.now() + (state === 'ok' ? RECOVER_WITHIN_MS : FLIP_WITHIN_MS);
  for (;;) {
    last = await ready(port).catch(() => last);
    if (last) {
      const matches =
        state === 'hard-down'
          ? last.statusCode === 503 && last.status === 'down' && check(last, name) === 'down'
          : state === 'degraded'
            ? last.statusCode === 200 && last.status === 'degraded' && check(last, name) === 'down'
            : last.statusCode === 200 && last.status === 'ok' && check(last, name) === 'up';
      if (matches) return last;
    }
    if (Date.now() > deadline) {
      throw new Error(`readiness on :${port} not ${state} (${name}); last answer: ${JSON.stringify(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('operability: metrics and readiness per dependency (real backends, apps from source)', () => {
  let database: ServiceDatabase;
  let postgres: TcpProxy;
  let kafka: PrivateBackend;
  let redis: PrivateBackend;
  let mongo: PrivateBackend;
  const ports: Record<string, number> = {};
  const apps: Record<string, ServiceProcess> = {};
  /** Health, status and metrics are on each app's management port. */
  const management = (app: string) => ports[`${app}-management`];
  const env: Record<string, Record<string, string>> = {};

  const start = async (app: string) => {
    apps[app] = await startService(app, env[app], `http://127.0.0.1:${management(app)}/health/ready`);
  };

  beforeAll(async () => {
    database = await createServiceDatabase('readiness');
    const machine = new URL(database.url);
    postgres = await startTcpProxy({ host: machine.hostname, port: Number(machine.port || 5432) });
    // Each service's URLs (its owner and runtime roles) through the proxy.
    const viaProxy = (url: string) => {
      const proxied = new URL(url);
      proxied.host = `127.0.0.1:${postgres.port}`;
      return proxied.toString();
    };
    const databaseEnv = (service: 'user-service' | 'task-service') => ({
      DATABASE_URL: viaProxy(database.env(service).DATABASE_URL),
      DATABASE_MIGRATION_URL: viaProxy(database.env(service).DATABASE_MIGRATION_URL),
    });
    [kafka, redis, mongo] = await Promise.all([startPrivateKafka(), startPrivateRedis(), startPrivateMongo()]);
    for (const name of ['audit-service', 'api-gateway']) ports[`${name}-http`] = await freePort();
    for (const name of ['user-service', 'task-service', 'audit-service', 'api-gateway']) {
      ports[`${name}-management`] = await freePort();
    }
    ports['user-service-rpc'] = await freePort();
    ports['task-service-rpc'] = await freePort();
    const common = { KAFKA_BROKERS: kafka.url, MIGRATIONS_RUN: 'true' };
    env['user-service'] = {
      ...common,
      ...databaseEnv('user-service'),
      BCRYPT_COST: '4',
      USER_SERVICE_HOST: '127.0.0.1',
      USER_SERVICE_PORT: String(ports['user-service-rpc']),
      MANAGEMENT_PORT: String(management('user-service')),
    };
    env['task-service'] = {
      ...common,
      ...databaseEnv('task-service'),
      TASK_SERVICE_HOST: '127.0.0.1',
      TASK_SERVICE_PORT: String(ports['task-service-rpc']),
      MANAGEMENT_PORT: String(management('task-service')),
    };
    const mongoUrl = new URL(mongo.url);
    mongoUrl.pathname = '/taskflow_audit';
    env['audit-service'] = {
      KAFKA_BROKERS: kafka.url,
      MONGO_URL: mongoUrl.toString(),
      MONGO_SERVER_SELECTION_TIMEOUT_MS: '1500',
      AUDIT_CONSUMER_GROUP: uniqueName('readiness-audit'),
      AUDIT_PROGRESS_SAMPLE_MS: '500',
      AUDIT_HTTP_PORT: String(ports['audit-service-http']),
      MANAGEMENT_PORT: String(management('audit-service')),
      REDIS_URL: `${redis.url}/0`,
    };
    env['api-gateway'] = {
      REDIS_URL: `${redis.url}/0`,
      USER_SERVICE_PORT: String(ports['user-service-rpc']),
      TASK_SERVICE_PORT: String(ports['task-service-rpc']),
      GATEWAY_PORT: String(ports['api-gateway-http']),
      MANAGEMENT_PORT: String(management('api-gateway')),
      AUDIT_SERVICE_URL: `http://127.0.0.1:${ports['audit-service-http']}`,
      // Rate limits per client IP from X-Forwarded-For, so the burst below uses an IP of its own.
      TRUST_PROXY: '127.0.0.1',
      RATE_LIMIT_LOGIN_PER_MINUTE: '5',
    };
    // user-service first: its migrations create the users table the task migrations reference.
    await start('user-service');
    await Promise.all([start('task-service'), start('audit-service'), start('api-gateway')]);
  });

  afterAll(async () => {
    await Promise.all(Object.values(apps).map((app) => app.stop()));
    await Promise.all([kafka, redis, mongo].map((backend) => backend?.dispose()));
    await postgres?.close();
    await database?.drop();
  });

  const http = (app: string) => ports[`${app}-http`];

  const api = async (method: string, path: string, body?: object, headers: Record<string, string> = {}) => {
    const response = await fetch(`http://127.0.0.1:${http('api-gateway')}/api/v1${path}`, {
      method,
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: (await response.json().catch(() => undefined)) as Record<string, any> };
  };

  it('metrics move with real traffic', async () => {
    const scrapeAll = async () =>
      Object.fromEntries(
        await Promise.all(
          ['api-gateway', 'user-service', 'task-service', 'audit-service'].map(
            async (app) => [app, await scrape(management(app))] as const,
          ),
        ),
      );
    const b = await scrapeAll();

    // A user signs up, logs in, creates a task and reads it twice (cache miss, then hit).
    const email = `${uniqueName('metrics')}@example.com`;
    const password = 'long-enough-password';
    expect((await api('POST', '/auth/register', { email, password })).status).toBe(201);
    const login = await api('POST', '/auth/login', { email, password });
    expect(login.status).toBe(200);
    const auth = { authorization: `Bearer ${login.body.accessToken}` };
    const created = await api('POST', '/tasks', { title: 'Measured' }, { ...auth, 'idempotency-key': randomUUID() });
    expect(created.status).toBe(201);
    expect((await api('GET', `/tasks/${created.body.id}`, undefined, auth)).status).toBe(200);
    expect((await api('GET', `/tasks/${created.body.id}`, undefined, auth)).status).toBe(200);
    // Logins are limited to 5 per minute and IP here: a burst of 6 from one address ends in 429.
    const burst = { 'x-forwarded-for': '203.0.113.7' };
    const logins: number[] = [];
    for (let i = 0; i < 6; i++) {
      logins.push((await api('POST', '/auth/login', { email, password: 'wrong-password!' }, burst)).status);
    }
    expect(logins.at(-1)).toBe(429);

    // Straight onto the private Kafka, signed as a producer would: one event twice (a duplicate) and one message
    // that is not an envelope.
    const kafkaClient = new Kafka({ clientId: 'ops-metrics-test', brokers: [kafka.url], logLevel: logLevel.NOTHING });
    const producer = kafkaClient.producer();
    await producer.connect();
    const taskId = randomUUID();
    const event = createEnvelope(Events.TaskStatusChanged, {
      actorId: randomUUID(),
      entityId: taskId,
      payload: { taskId, from: 'todo', to: 'in_progress', version: 2 },
    });
    const message = signedMessage(event);
    await producer.send({ topic: Topics.task, messages: [message] });
    await producer.send({ topic: Topics.task, messages: [message, signedMessage('not an event')] });
    await producer.disconnect();

    // The outbox relays and the audit ingest are asynchronous: wait for the last effects, then compare.
    const a = await waitFor(
      async () => {
        const after = await scrapeAll();
        const audit = after['audit-service'];
        const done =
          sample(audit, 'taskflow_audit_dead_lettered_total') >
            (sample(b['audit-service'], 'taskflow_audit_dead_lettered_total') || 0) &&
          sample(audit, 'taskflow_audit_duplicates_total') >
            (sample(b['audit-service'], 'taskflow_audit_duplicates_total') || 0) &&
          sample(audit, 'taskflow_audit_events_ingested_total') >=
            (sample(b['audit-service'], 'taskflow_audit_events_ingested_total') || 0) + 3;
        return done ? after : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, description: 'audit ingest metrics' },
    );
    const grew = (app: string, name: string, labels: Record<string, string> = {}) =>
      expect(sample(a[app], name, labels)).toBeGreaterThan(sample(b[app], name, labels) || 0);

    const gateway = 'api-gateway';
    grew(gateway, 'taskflow_http_requests_total', { route: '/api/v1/tasks', method: 'POST', status: '201' });
    grew(gateway, 'taskflow_http_request_duration_seconds_count', { route: '/api/v1/tasks/:id', status: '200' });
    grew(gateway, 'taskflow_http_requests_total', { route: '/api/v1/auth/login', status: '429' });
    grew(gateway, 'taskflow_cache_requests_total', { result: 'miss' });
    grew(gateway, 'taskflow_cache_requests_total', { result: 'hit' });
    grew(gateway, 'taskflow_rate_limit_rejections_total', { scope: 'login' });
    for (const app of ['user-service', 'task-service']) {
      grew(app, 'taskflow_kafka_messages_produced_total');
      grew(app, 'taskflow_http_requests_total', { route: '/metrics', status: '200' });
      expect(sample(a[app], 'taskflow_db_pool_connections', { pool: 'primary' })).toBeGreaterThan(0);
      for (const state of ['idle', 'in_use']) {
        expect(sample(a[app], 'taskflow_db_pool_connections', { pool: 'primary', state })).toBeGreaterThanOrEqual(0);
      }
      expect(sample(a[app], 'taskflow_db_pool_max_connections', { pool: 'primary' })).toBeGreaterThan(0);
      expect(sample(a[app], 'taskflow_db_pool_waiting_requests', { pool: 'primary' })).toBeGreaterThanOrEqual(0);
      expect(sample(a[app], 'taskflow_outbox_pending')).toBeGreaterThanOrEqual(0);
      expect(sample(a[app], 'taskflow_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0);
    }
    const audit = 'audit-service';
    grew(audit, 'taskflow_kafka_messages_consumed_total', { topic: Topics.task });
    grew(audit, 'taskflow_kafka_messages_consumed_total', { topic: Topics.user });
    grew(audit, 'taskflow_audit_events_ingested_total');
    grew(audit, 'taskflow_audit_duplicates_total');
    grew(audit, 'taskflow_audit_dead_lettered_total', { topic: Topics.task });
    expect(sample(a[audit], 'taskflow_kafka_consumer_lag', { topic: Topics.task })).toBeGreaterThanOrEqual(0);
  });

  it('PostgreSQL down: user-service and task-service 503, back to 200 when it returns', async () => {
    await postgres.cut();
    await expectReadiness(management('user-service'), 'hard-down', 'postgres');
    await expectReadiness(management('task-service'), 'hard-down', 'postgres');
    await postgres.restore();
    await expectReadiness(management('user-service'), 'ok', 'postgres');
    await expectReadiness(management('task-service'), 'ok', 'postgres');
  });

  it('Kafka down: every app stays ready but degraded (outbox buffers, ingest pauses)', async () => {
    await kafka.stop();
    await expectReadiness(management('user-service'), 'degraded', 'kafka');
    // Writes continue into the outbox: its backlog and the age of its oldest row grow while Kafka is away.
    const email = `${uniqueName('outage')}@example.com`;
    expect((await api('POST', '/auth/register', { email, password: 'long-enough-password' })).status).toBe(201);
    await waitFor(
      async () => {
        const text = await scrape(management('user-service'));
        return (
          sample(text, 'taskflow_outbox_pending') >= 1 && sample(text, 'taskflow_outbox_oldest_pending_age_seconds') > 0
        );
      },
      { timeoutMs: FLIP_WITHIN_MS, intervalMs: 250, description: 'user-service outbox backlog while Kafka is down' },
    );
    await expectReadiness(management('task-service'), 'degraded', 'kafka');
    await expectReadiness(management('audit-service'), 'degraded', 'kafka-consumer');
    await kafka.start();
    await expectReadiness(management('user-service'), 'ok', 'kafka');
    await expectReadiness(management('task-service'), 'ok', 'kafka');
    await expectReadiness(management('audit-service'), 'ok', 'kafka-consumer');
    await waitFor(async () => sample(await scrape(management('user-service')), 'taskflow_outbox_pending') === 0, {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: 'user-service outbox drained after Kafka returned',
    });
  });

  it('MongoDB down: audit-service 503, back to 200 when it returns', async () => {
    await mongo.stop();
    await expectReadiness(management('audit-service'), 'hard-down', 'mongodb');
    await mongo.start();
    await expectReadiness(management('audit-service'), 'ok', 'mongodb');
  });

  it('Redis down: the gateway stays ready but degraded (cache bypassed)', async () => {
    await redis.stop();
    await expectReadiness(management('api-gateway'), 'degraded', 'redis');
    await redis.start();
    await expectReadiness(management('api-gateway'), 'ok', 'redis');
  });

  it.each(['user-service', 'task-service'])('%s down: the gateway 503, back to 200 when it returns', async (app) => {
    await apps[app].stop();
    await expectReadiness(management('api-gateway'), 'hard-down', app);
    await start(app);
    await expectReadiness(management('api-gateway'), 'ok', app);
  });

  it('the gateway serves again through the restarted services', async () => {
    const email = `${uniqueName('ready')}@example.com`;
    expect((await api('POST', '/auth/register', { email, password: 'long-enough-password' })).status).toBe(201);
  });
});
