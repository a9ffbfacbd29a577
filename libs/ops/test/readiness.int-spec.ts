import {
  createScratchDatabase,
  freePort,
  ScratchDatabase,
  ServiceProcess,
  startService,
  startTcpProxy,
  TcpProxy,
  uniqueName,
  waitFor,
} from '@taskflow/testing';
import { PrivateBackend, startPrivateKafka, startPrivateMongo, startPrivateRedis } from './support/private-backends';

/**
 * Readiness flips and recovers per dependency, with every app run from its sources against private
 * backends (stopped by pid) and the machine's PostgreSQL behind a TCP proxy (cut, never stopped).
 * Hard dependency down → /health/ready 503; soft dependency down → 200, `degraded`, that check `down`.
 * Recovery happens without restarting the app.
 */
jest.setTimeout(300_000);

const JWT_SECRET = 'readiness-test-secret-readiness-test-secret';
const FLIP_WITHIN_MS = 30_000;

interface Ready {
  statusCode: number;
  status: string;
  checks: { name: string; status: string }[];
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
  return waitFor(
    async () => {
      const result = await ready(port);
      const matches =
        state === 'hard-down'
          ? result.statusCode === 503 && result.status === 'down' && check(result, name) === 'down'
          : state === 'degraded'
            ? result.statusCode === 200 && result.status === 'degraded' && check(result, name) === 'down'
            : result.statusCode === 200 && result.status === 'ok' && check(result, name) === 'up';
      return matches ? result : undefined;
    },
    { timeoutMs: FLIP_WITHIN_MS, intervalMs: 250, description: `readiness on :${port} ${state} (${name})` },
  );
}

describe('readiness per dependency (real backends, apps from source)', () => {
  let database: ScratchDatabase;
  let postgres: TcpProxy;
  let kafka: PrivateBackend;
  let redis: PrivateBackend;
  let mongo: PrivateBackend;
  const ports: Record<string, number> = {};
  const apps: Record<string, ServiceProcess> = {};
  const env: Record<string, Record<string, string>> = {};

  const start = async (app: string) => {
    apps[app] = await startService(app, env[app], `http://127.0.0.1:${ports[`${app}-http`]}/health/ready`);
  };

  beforeAll(async () => {
    database = await createScratchDatabase('readiness');
    const machine = new URL(database.url);
    postgres = await startTcpProxy({ host: machine.hostname, port: Number(machine.port || 5432) });
    const databaseUrl = new URL(database.url);
    databaseUrl.host = `127.0.0.1:${postgres.port}`;
    [kafka, redis, mongo] = await Promise.all([startPrivateKafka(), startPrivateRedis(), startPrivateMongo()]);
    for (const name of ['user-service', 'task-service', 'audit-service', 'api-gateway']) {
      ports[`${name}-http`] = await freePort();
    }
    ports['user-service-rpc'] = await freePort();
    ports['task-service-rpc'] = await freePort();
    const common = { DATABASE_URL: databaseUrl.toString(), KAFKA_BROKERS: kafka.url, MIGRATIONS_RUN: 'true' };
    env['user-service'] = {
      ...common,
      BCRYPT_COST: '4',
      USER_SERVICE_HOST: '127.0.0.1',
      USER_SERVICE_PORT: String(ports['user-service-rpc']),
      USER_SERVICE_HTTP_PORT: String(ports['user-service-http']),
    };
    env['task-service'] = {
      ...common,
      TASK_SERVICE_HOST: '127.0.0.1',
      TASK_SERVICE_PORT: String(ports['task-service-rpc']),
      TASK_SERVICE_HTTP_PORT: String(ports['task-service-http']),
    };
    const mongoUrl = new URL(mongo.url);
    mongoUrl.pathname = '/taskflow_audit';
    env['audit-service'] = {
      KAFKA_BROKERS: kafka.url,
      MONGO_URL: mongoUrl.toString(),
      MONGO_SERVER_SELECTION_TIMEOUT_MS: '1500',
      AUDIT_CONSUMER_GROUP: uniqueName('readiness-audit'),
      AUDIT_HTTP_PORT: String(ports['audit-service-http']),
      JWT_SECRET,
    };
    env['api-gateway'] = {
      REDIS_URL: `${redis.url}/0`,
      USER_SERVICE_PORT: String(ports['user-service-rpc']),
      TASK_SERVICE_PORT: String(ports['task-service-rpc']),
      GATEWAY_PORT: String(ports['api-gateway-http']),
      AUDIT_SERVICE_URL: `http://127.0.0.1:${ports['audit-service-http']}`,
      JWT_SECRET,
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

  it('PostgreSQL down: user-service and task-service 503, back to 200 when it returns', async () => {
    await postgres.cut();
    await expectReadiness(http('user-service'), 'hard-down', 'postgres');
    await expectReadiness(http('task-service'), 'hard-down', 'postgres');
    await postgres.restore();
    await expectReadiness(http('user-service'), 'ok', 'postgres');
    await expectReadiness(http('task-service'), 'ok', 'postgres');
  });

  it('Kafka down: every app stays ready but degraded (outbox buffers, ingest pauses)', async () => {
    await kafka.stop();
    await expectReadiness(http('user-service'), 'degraded', 'kafka');
    await expectReadiness(http('task-service'), 'degraded', 'kafka');
    await expectReadiness(http('audit-service'), 'degraded', 'kafka-consumer');
    await kafka.start();
    await expectReadiness(http('user-service'), 'ok', 'kafka');
    await expectReadiness(http('task-service'), 'ok', 'kafka');
    await expectReadiness(http('audit-service'), 'ok', 'kafka-consumer');
  });

  it('MongoDB down: audit-service 503, back to 200 when it returns', async () => {
    await mongo.stop();
    await expectReadiness(http('audit-service'), 'hard-down', 'mongodb');
    await mongo.start();
    await expectReadiness(http('audit-service'), 'ok', 'mongodb');
  });

  it('Redis down: the gateway stays ready but degraded (cache bypassed)', async () => {
    await redis.stop();
    await expectReadiness(http('api-gateway'), 'degraded', 'redis');
    await redis.start();
    await expectReadiness(http('api-gateway'), 'ok', 'redis');
  });

  it.each(['user-service', 'task-service'])('%s down: the gateway 503, back to 200 when it returns', async (app) => {
    await apps[app].stop();
    await expectReadiness(http('api-gateway'), 'hard-down', app);
    await start(app);
    await expectReadiness(http('api-gateway'), 'ok', app);
  });

  it('the gateway serves again through the restarted services', async () => {
    const response = await fetch(`http://127.0.0.1:${http('api-gateway')}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `${uniqueName('ready')}@example.com`, password: 'long-enough-password' }),
    });
    expect(response.status).toBe(201);
  });
});
