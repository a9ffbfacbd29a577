import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { TaskView } from '@taskflow/contracts';
import { createLogger, managementServer } from '@taskflow/nest-kit';
import {
  createServiceDatabase,
  freePort,
  ServiceDatabase,
  ServiceProcess,
  signingKeyEnv,
  startDomainServices,
  startService,
} from '@taskflow/testing';
import { ensureKafkaTopics } from '@taskflow/infra';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { loadGatewayConfig } from '../../src/config/gateway.config';
import { createGateway } from '../../src/gateway';
import { flushDb, redisDbUrl } from './gateway-harness';
import { Topics } from '@taskflow/contracts';

/**
 * The whole system for the abuse suite, reached only through real HTTP: user-service and task-service
 * as child processes from their sources on a scratch PostgreSQL database, optionally audit-service on a
 * scratch MongoDB database, and the gateway listening on a loopback port against real Redis (a logical
 * DB owned by the calling test file, flushed only there).
 */
export interface SystemOptions {
  /** Redis logical DB the calling file owns. */
  redisDb: number;
  gatewayEnv?: Record<string, string>;
  /** Extra environment of user-service and task-service (e.g. RPC_TLS and its certificates). */
  servicesEnv?: Record<string, string>;
  /** Also start audit-service (API only, no ingest) and point the gateway's audit routes at it. */
  audit?: boolean;
  /** audit-service's MongoDB server (default TASKFLOW_TEST_MONGO_URL or the shared one) and extra environment. */
  auditMongoBase?: string;
  auditEnv?: Record<string, string>;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body when it is JSON, else undefined. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface SendOptions {
  token?: string;
  /** Serialised as JSON unless `raw` is given. */
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  token: string;
  refreshToken: string;
}

/** A plain HTTP client that keeps every JSON body it received, so a suite can walk them all afterwards. */
export class HttpClient {
  constructor(
    readonly baseUrl: string,
    readonly received: { request: string; status: number; json: unknown }[] = [],
  ) {}

  async send(method: string, path: string, options: SendOptions = {}): Promise<HttpResult> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.raw;
    if (body === undefined && options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(this.baseUrl + path, { method, headers, body, signal: AbortSignal.timeout(30_000) });
    const text = await response.text();
    let json: unknown;
    const type = response.headers.get('content-type') ?? '';
    if (/^application\/([\w.-]+\+)?json\b/.test(type) && text !== '') {
      json = JSON.parse(text);
      this.received.push({ request: `${method} ${path}`, status: response.status, json });
    } else if (type.startsWith('application/x-ndjson')) {
      const lines = text.split('\n').filter((line) => line !== '');
      this.received.push({
        request: `${method} ${path}`,
        status: response.status,
        json: lines.map((line) => JSON.parse(line)),
      });
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  get = (path: string, options?: SendOptions) => this.send('GET', path, options);
  post = (path: string, body?: unknown, options?: SendOptions) => this.send('POST', path, { ...options, body });
  patch = (path: string, body?: unknown, options?: SendOptions) => this.send('PATCH', path, { ...options, body });
  delete = (path: string, options?: SendOptions) => this.send('DELETE', path, options);
}

export interface System {
  http: HttpClient;
  /** The main gateway's management port (health, status, metrics). */
  management: HttpClient;
  /** audit-service's management port, when started. */
  auditManagementUrl?: string;
  gateway: NestFastifyApplication;
  database: ServiceDatabase;
  redisUrl: string;
  auditUrl?: string;
  /** audit-service's scratch MongoDB database (dropped by stop). */
  auditMongoUrl?: string;
  /** The audit-service child process, when started. */
  auditService?: ServiceProcess;
  /** True while every service child process is still running (none crashed). */
  servicesAlive: () => boolean;
  /** Registers and logs in a fresh user (optionally with a role set in user-service's table first). */
  signUp: (label: string, role?: 'user' | 'admin' | 'auditor') => Promise<TestUser>;
  createTask: (user: TestUser, body?: object) => Promise<TaskView>;
  /** Starts another gateway (other env, e.g. low limits) on the same services and Redis DB. */
  startGateway: (
    env: Record<string, string>,
  ) => Promise<{ http: HttpClient; management: HttpClient; close: () => Promise<void> }>;
  stop: () => Promise<void>;
}

export async function startSystem(options: SystemOptions): Promise<System> {
  process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = await createServiceDatabase('gateway_abuse');
  const services: ServiceProcess[] = [];
  const gateways: NestFastifyApplication[] = [];
  let auditService: ServiceProcess | undefined;
  const mongoBase = options.auditMongoBase ?? process.env.TASKFLOW_TEST_MONGO_URL ?? 'mongodb://127.0.0.1:27017';
  const auditMongoUrl = options.audit ? `${mongoBase}/audit_abuse_${Date.now().toString(36)}` : undefined;
  // audit-service records every read there and answers 503 when it cannot (auto-create is off on the broker).
  const auditEventsTopic = `abuse.${randomUUID()}.${Topics.audit}`;
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const stop = async () => {
    await Promise.all(gateways.map((app) => app.close()));
    await Promise.all(services.map((service) => service.stop()));
    await database.drop();
    if (options.audit) {
      const admin = new Kafka({ clientId: 'abuse-harness', brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [auditEventsTopic] }).finally(() => admin.disconnect());
    }
    if (auditMongoUrl) {
      const client = await MongoClient.connect(auditMongoUrl, { serverSelectionTimeoutMS: 5000 });
      await client
        .db()
        .dropDatabase()
        .finally(() => client.close());
    }
  };
  try {
    const [auditHttp, auditManagement] = await Promise.all([freePort(), freePort()]);
    const redisUrl = redisDbUrl(options.redisDb);
    await flushDb(redisUrl);
    const common = {
      MIGRATIONS_RUN: 'true',
      NODE_ENV: 'test',
      LOG_LEVEL: 'error',
      REDIS_URL: redisUrl,
      // The suite logs its users in far more often than people do; the gateway's own limits are raised likewise.
      AUTHENTICATE_LIMIT_PER_EMAIL_PER_MINUTE: '100000',
      ...options.servicesEnv,
    };
    // audit-service needs no PostgreSQL: it starts alongside user- and task-service.
    if (options.audit) await ensureKafkaTopics(brokers, [auditEventsTopic], { partitions: 1 });
    const audit = options.audit
      ? startService(
          'audit-service',
          {
            MONGO_URL: auditMongoUrl!,
            AUDIT_INGEST_ENABLED: 'false',
            AUDIT_SYSTEM_TOPIC: `abuse.${randomUUID()}.${Topics.system}`,
            AUDIT_EVENTS_TOPIC: auditEventsTopic,
            AUDIT_HTTP_PORT: String(auditHttp),
            AUDIT_HTTP_HOST: '127.0.0.1',
            MANAGEMENT_PORT: String(auditManagement),
            // The gateway's session store: audit-service checks the session and current role there too.
            REDIS_URL: redisUrl,
            LOG_LEVEL: 'error',
            ...options.auditEnv,
          },
          `http://127.0.0.1:${auditManagement}/health/ready`,
        ).then((service) => {
          auditService = service;
          services.push(service);
        })
      : Promise.resolve();
    const { userRpcPort, taskRpcPort } = await startDomainServices(database, common, (service) =>
      services.push(service),
    );
    await audit;
    const auditUrl = options.audit ? `http://127.0.0.1:${auditHttp}` : undefined;
    const baseEnv = {
      REDIS_URL: redisUrl,
      USER_SERVICE_PORT: String(userRpcPort),
      TASK_SERVICE_PORT: String(taskRpcPort),
      RPC_TIMEOUT_MS: '10000',
      REDIS_COMMAND_TIMEOUT_MS: '2000',
      RATE_LIMIT_USER_PER_MINUTE: '100000',
      RATE_LIMIT_IP_PER_HOUR: '1000000',
      RATE_LIMIT_LOGIN_PER_MINUTE: '100000',
      ...(auditUrl ? { AUDIT_SERVICE_URL: auditUrl } : {}),
    };
    const received: HttpClient['received'] = [];
    const startGateway = async (env: Record<string, string>) => {
      const config = loadGatewayConfig({ ...signingKeyEnv(), ...baseEnv, ...env });
      const logger = createLogger('api-gateway-abuse', process.env.TEST_LOG_LEVEL ?? 'silent');
      const app = await createGateway(config, logger);
      gateways.push(app);
      await app.listen(0, '127.0.0.1');
      const { port } = app.getHttpServer().address() as { port: number };
      const management = managementServer(app);
      await management.listen({ host: '127.0.0.1', port: 0 });
      return {
        app,
        http: new HttpClient(`http://127.0.0.1:${port}`, received),
        management: new HttpClient(`http://127.0.0.1:${management.port()}`, []),
        close: () => app.close(),
      };
    };
    const main = await startGateway(options.gatewayEnv ?? {});
    const http = main.http;

    const signUp = async (label: string, role: 'user' | 'admin' | 'auditor' = 'user'): Promise<TestUser> => {
      const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
      const password = 'correct-horse-battery';
      const registered = await http.post('/api/v1/auth/register', { email, password });
      if (registered.status !== 201) throw new Error(`register: ${registered.status} ${registered.text}`);
      if (role !== 'user') await setRole(database.url, registered.json.id, role);
      const login = await http.post('/api/v1/auth/login', { email, password });
      if (login.status !== 200) throw new Error(`login: ${login.status} ${login.text}`);
      return {
        id: registered.json.id,
        email,
        password,
        token: login.json.accessToken,
        refreshToken: login.json.refreshToken,
      };
    };
    const createTask = async (user: TestUser, body: object = {}) => {
      const created = await http.post(
        '/api/v1/tasks',
        { title: `task of ${user.email}`, ...body },
        { token: user.token },
      );
      if (created.status !== 201) throw new Error(`create task: ${created.status} ${created.text}`);
      return created.json;
    };
    return {
      http,
      management: main.management,
      auditManagementUrl: options.audit ? `http://127.0.0.1:${auditManagement}` : undefined,
      gateway: main.app,
      database,
      redisUrl,
      auditUrl,
      auditMongoUrl,
      auditService,
      servicesAlive: () => services.every((service) => service.child.exitCode === null && !service.child.signalCode),
      signUp,
      createTask,
      startGateway: async (env) => {
        const extra = await startGateway(env);
        return { http: extra.http, management: extra.management, close: extra.close };
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** Test fixture only: an admin or auditor is made in the users table (there is no public route for it). */
async function setRole(databaseUrl: string, userId: string, role: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('UPDATE users SET role = $1 WHERE id = $2', [role, userId]);
  } finally {
    await client.end();
  }
}

/** Every property name anywhere in a JSON value (for "never leaks password_hash" walks). */
export function allKeys(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) value.forEach((item) => allKeys(item, into));
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      into.add(key);
      allKeys(inner, into);
    }
  }
  return into;
}

/** Fails with the offending requests when any JSON body received so far holds a password hash. */
export function expectNoPasswordHashes(http: HttpClient): void {
  expect(http.received.length).toBeGreaterThan(0);
  const leaks = http.received
    .filter(({ json }) => {
      const keys = [...allKeys(json)].map((key) => key.toLowerCase());
      return keys.some((key) => key.includes('password_hash') || key.includes('passwordhash'));
    })
    .map(({ request, status }) => `${request} → ${status}`);
  // bcrypt hashes by value too, whatever the field is called.
  const valueLeaks = http.received
    .filter(({ json }) => /\$2[aby]\$\d\d\$/.test(JSON.stringify(json)))
    .map(({ request, status }) => `${request} → ${status}`);
  expect([...leaks, ...valueLeaks]).toEqual([]);
}
