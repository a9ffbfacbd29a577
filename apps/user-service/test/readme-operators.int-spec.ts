import { AUDIT_CSV_COLUMNS, deadLetterTopic, TaskView, Topics } from '@taskflow/contracts';
import { ensureKafkaTopics } from '@taskflow/infra';
import {
  createServiceDatabase,
  freePort,
  prefixOutboxTopics,
  ServiceDatabase,
  ServiceProcess,
  startDomainServices,
  startService,
  uniqueName,
  waitFor,
} from '@taskflow/testing';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { runProcess } from './support';

// The root README's operator and analyst commands, run as written (bash, curl, jq, npm) against the whole system
// started here from source: user-service, task-service, audit-service (ingesting) and the gateway, on a scratch
// database, topics of their own (an outbox trigger prefixes them), a scratch MongoDB database and Redis DB 2.
jest.setTimeout(600_000);

const ROOT = path.resolve(__dirname, '../../..');
const REDIS_DB = 2;

/** The fenced bash blocks that follow `<!-- readme-test: <name> -->` in the root README, in order. */
function readmeBlocks(markdown: string, name: string): string[] {
  const marker = /<!-- readme-test: ([\w-]+) -->\s*```bash\n([\s\S]*?)\n```/g;
  return [...markdown.matchAll(marker)].filter((match) => match[1] === name).map((match) => match[2]);
}

/** Runs `script` with bash -euo pipefail in `cwd` (empty stdin) with the process environment plus `env`. */
function bash(script: string, cwd: string, env: Record<string, string>) {
  return runProcess('bash', ['-euo', 'pipefail', '-c', script], { cwd, env: { ...process.env, ...env } });
}

describe('README: operators and analysts', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const id = uniqueName('readme');
  const prefix = `${id}.`;
  // With the audit topic: audit-service records every read there (503 when it cannot) and ingests it.
  const topics = [Topics.task, Topics.user, Topics.system, Topics.audit].map((topic) => prefix + topic);
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  const mongoUrl = `${process.env.TASKFLOW_TEST_MONGO_URL ?? 'mongodb://127.0.0.1:27017'}/${id.replace(/-/g, '_')}`;
  const redisUrl = (() => {
    const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    url.pathname = `/${REDIS_DB}`;
    return url.toString();
  })();
  const passwords = { admin: randomBytes(18).toString('base64'), auditor: randomBytes(18).toString('base64') };
  const services: ServiceProcess[] = [];
  let database: ServiceDatabase;
  let gateway: string;
  let workDir: string;

  beforeAll(async () => {
    process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
    workDir = mkdtempSync(path.join(tmpdir(), 'taskflow-readme-'));
    await ensureKafkaTopics(
      brokers,
      topics.flatMap((topic) => [topic, deadLetterTopic(topic)]),
      { partitions: 1 },
    );
    database = await createServiceDatabase('readme');
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    await redis.flushdb().finally(() => redis.disconnect());

    const common = { MIGRATIONS_RUN: 'true', NODE_ENV: 'test', BCRYPT_COST: '4' };
    const { userRpcPort, taskRpcPort } = await startDomainServices(database, common, (service) =>
      services.push(service),
    );
    const pg = new Client({ connectionString: database.url });
    await pg.connect();
    await prefixOutboxTopics(pg, prefix).finally(() => pg.end());

    const [auditHttp, auditManagement, gatewayHttp, gatewayManagement] = await Promise.all(
      Array.from({ length: 4 }, () => freePort()),
    );
    services.push(
      await startService(
        'audit-service',
        {
          MONGO_URL: mongoUrl,
          AUDIT_TOPICS: topics.join(','),
          AUDIT_SYSTEM_TOPIC: prefix + Topics.system,
          AUDIT_EVENTS_TOPIC: prefix + Topics.audit,
          AUDIT_CONSUMER_GROUP: id,
          AUDIT_HTTP_PORT: String(auditHttp),
          AUDIT_HTTP_HOST: '127.0.0.1',
          MANAGEMENT_PORT: String(auditManagement),
          REDIS_URL: redisUrl,
        },
        `http://127.0.0.1:${auditManagement}/health/ready`,
      ),
    );
    services.push(
      await startService(
        'api-gateway',
        {
          GATEWAY_PORT: String(gatewayHttp),
          GATEWAY_HOST: '127.0.0.1',
          MANAGEMENT_PORT: String(gatewayManagement),
          REDIS_URL: redisUrl,
          USER_SERVICE_PORT: String(userRpcPort),
          TASK_SERVICE_PORT: String(taskRpcPort),
          AUDIT_SERVICE_URL: `http://127.0.0.1:${auditHttp}`,
          RPC_TIMEOUT_MS: '10000',
        },
        `http://127.0.0.1:${gatewayManagement}/health/ready`,
      ),
    );
    gateway = `http://127.0.0.1:${gatewayHttp}`;
  });

  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await database?.drop();
    const admin = new Kafka({ clientId: id, brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin
      .deleteTopics({ topics: topics.flatMap((topic) => [topic, deadLetterTopic(topic)]) })
      .finally(() => admin.disconnect());
    const mongo = await MongoClient.connect(mongoUrl);
    await mongo
      .db()
      .dropDatabase()
      .finally(() => mongo.close());
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const post = async <T>(url: string, body: object, token?: string): Promise<T> => {
    const response = await fetch(gateway + url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as T;
    if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  const login = async (email: string, password: string): Promise<string> =>
    (await post<{ accessToken: string }>('/api/v1/auth/login', { email, password })).accessToken;

  it('should give an operator an admin and an auditor, and an analyst the audit events as CSV and NDJSON', async () => {
    const operator = readmeBlocks(readme, 'operator');
    const analyst = readmeBlocks(readme, 'analyst');
    const auditAdmin = readmeBlocks(readme, 'audit-admin');
    expect(operator.length).toBeGreaterThan(0);
    expect(analyst.length).toBeGreaterThan(0);
    expect(auditAdmin.length).toBeGreaterThan(0);

    // Operator: create-admin as the README says, in the staging profile (credentials from the environment only).
    const created = await bash(operator.join('\n'), ROOT, {
      APP_ENV: 'staging',
      DATABASE_URL: database.env('user-service').DATABASE_URL,
      BCRYPT_COST: '4',
      LOG_LEVEL: 'warn',
      ADMIN_PASSWORD: passwords.admin,
      AUDITOR_PASSWORD: passwords.auditor,
    });
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(/^created: admin@example\.com has role admin \(id [0-9a-f-]{36}, correlationId/m);
    expect(created.stdout).toMatch(/^created: auditor@example\.com has role auditor \(id /m);

    // The admin logs in and creates a task; its event and the two create-admin events reach the audit store.
    const adminToken = await login('admin@example.com', passwords.admin);
    const task = await post<TaskView>('/api/v1/tasks', { title: `README check ${id}` }, adminToken);
    const auditorToken = await login('auditor@example.com', passwords.auditor);
    const events = async (query: string) => {
      const response = await fetch(`${gateway}/api/v1/audit/events?${query}`, {
        headers: { authorization: `Bearer ${auditorToken}` },
      });
      return response.ok ? ((await response.json()) as { items: object[] }).items : [];
    };
    await waitFor(async () => (await events(`entityType=task&entityId=${task.id}`)).length === 1, {
      timeoutMs: 120_000,
      intervalMs: 1000,
      description: `task.created of ${task.id} in the audit store`,
    });
    await waitFor(async () => (await events('actorId=system:create-admin')).length === 2, {
      timeoutMs: 120_000,
      intervalMs: 1000,
      description: 'the two create-admin events in the audit store',
    });

    // Analyst: every marked block in one shell, in a scratch directory (the exports land there).
    const analysis = await bash(analyst.join('\n'), workDir, {
      TASKFLOW_URL: gateway,
      AUDITOR_EMAIL: 'auditor@example.com',
      AUDITOR_PASSWORD: passwords.auditor,
    });
    expect(analysis).toMatchObject({ code: 0, stderr: '' });
    expect(analysis.stdout).toContain(`"type":"task.created","actorId":`);
    expect(analysis.stdout).toContain(task.id);
    expect(analysis.stdout).toMatch(
      /"type":"user\.registered","correlationId":"[0-9a-f-]{36}","payload":\{[^}]*"role":"admin"/,
    );
    expect(analysis.stdout).toMatch(/^1\ttask\.created$/m);
    // The task as of its creation and its timeline, rebuilt from the audit store (the newest task.created is this one).
    const asOf = analysis.stdout.split('\n').find((line) => line.startsWith('{"complete":'));
    expect(asOf && JSON.parse(asOf)).toEqual({
      complete: true,
      asOfEventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      task: { id: task.id, title: `README check ${id}`, status: 'todo', assigneeId: null, version: 1 },
    });
    expect(analysis.stdout).toMatch(new RegExp(`^\\S+Z\\t[0-9a-f-]{36}\\ttitle\\tnull -> README check ${id}$`, 'm'));
    expect(analysis.stdout).toMatch(/^\S+Z\t[0-9a-f-]{36}\tstatus\tnull -> todo$/m);
    // The tamper check over the last day: intact, every record ingested so far verified.
    expect(analysis.stdout).toMatch(/^\{"intact":true,"checked":[1-9]\d*,"firstBreak":null\}$/m);

    const csv = readFileSync(path.join(workDir, 'audit-tasks.csv'), 'utf8').trim().split('\r\n');
    expect(csv[0]).toBe(AUDIT_CSV_COLUMNS.join(','));
    expect(csv.filter((row) => row.includes(`,task.created,1,`) && row.includes(`,task,${task.id},`))).toHaveLength(1);
    // The spreadsheet copy: the UTF-8 byte-order mark, then the same columns, every event of the day in it.
    const forExcel = readFileSync(path.join(workDir, 'audit-for-excel.csv'));
    expect(forExcel.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const excelRows = forExcel.subarray(3).toString('utf8').trim().split('\r\n');
    expect(excelRows[0]).toBe(AUDIT_CSV_COLUMNS.join(','));
    expect(excelRows.some((row) => row.includes(`,task,${task.id},`))).toBe(true);

    const ndjson = readFileSync(path.join(workDir, 'audit-events.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(ndjson).toContainEqual(expect.objectContaining({ type: 'task.created', entityId: task.id }));
    const provisioned = ndjson.filter((event) => event.actorId === 'system:create-admin');

    // Admin actions through the gateway, as the README shows them, with the admin's credentials.
    const adminActions = await bash(auditAdmin.join('\n'), workDir, {
      TASKFLOW_URL: gateway,
      ADMIN_EMAIL: 'admin@example.com',
      ADMIN_PASSWORD: passwords.admin,
    });
    expect(adminActions).toMatchObject({ code: 0, stderr: '' });
    expect(adminActions.stdout).toMatch(/^\{"updated":\d+\}$/m);
    expect(adminActions.stdout).toMatch(/^\{"eventId":"[0-9a-f-]{36}"\}$/m);
    expect(provisioned.map((event) => [event.type, event.payload.emailMasked, event.payload.role]).sort()).toEqual([
      ['user.registered', 'a***@example.com', 'admin'],
      ['user.registered', 'a***@example.com', 'auditor'],
    ]);
  });
});
