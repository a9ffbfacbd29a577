import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { freePort } from '@taskflow/testing';
import { managementServer } from '@taskflow/nest-kit';
import { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, startOwnMongo, stopOwnMongo, testConfig, token, waitFor } from './support';

jest.setTimeout(240_000);

// Client-side deadlines of this suite; the answers below must come well inside ANSWER_BOUND_MS.
const DEADLINES = {
  MONGO_SERVER_SELECTION_TIMEOUT_MS: '1500',
  MONGO_CONNECT_TIMEOUT_MS: '1500',
  MONGO_SOCKET_TIMEOUT_MS: '2000',
  MONGO_QUERY_TIMEOUT_MS: '1000',
};
/** A hang check, not a benchmark: the largest deadline plus generous room for a loaded machine. */
const ANSWER_BOUND_MS = 12_000;

/**
 * The query API and health of audit-service while its MongoDB (our own mongo-java-server, signalled by pid)
 * is absent at start, paused (SIGSTOP: accepts TCP, never answers) and stopped; and recovery each time.
 */
describe('audit-service with MongoDB absent, paused and stopped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-deadlines-'));
  const h2File = join(dir, 'mongo.mv.db');
  let port: number;
  let mongo: ChildProcess | undefined;
  let app: NestFastifyApplication | undefined;

  const inject = (url: string, headers: Record<string, string> = {}) =>
    app!.getHttpAdapter().getInstance().inject({ method: 'GET', url, headers });
  const health = (url: string) => managementServer(app!).server.inject({ method: 'GET', url });
  const query = (url: string) => inject(url, { authorization: `Bearer ${token('auditor')}` });
  const listEvents = () => query('/api/v1/audit/events');
  /** An audit query answered within the bound; returns the answer. */
  const timedList = async (url: string) => {
    const started = Date.now();
    const response = await query(url);
    return { response, elapsedMs: Date.now() - started };
  };
  const expectUnavailable = async (url = '/api/v1/audit/events') => {
    const { response, elapsedMs } = await timedList(url);
    expect({ status: response.statusCode, code: response.json().code }).toEqual({
      status: 503,
      code: 'DATABASE.UNAVAILABLE',
    });
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(elapsedMs).toBeLessThan(ANSWER_BOUND_MS);
  };
  const expectRecovered = () =>
    waitFor(
      async () => (await listEvents()).statusCode === 200 && (await health('/health/ready')).statusCode === 200,
      60_000,
      250,
    );

  beforeAll(async () => {
    port = await freePort();
  });

  afterAll(async () => {
    mongo?.kill('SIGCONT');
    await app?.close().catch(() => undefined);
    if (mongo) await stopOwnMongo(mongo);
    rmSync(dir, { recursive: true, force: true });
  });

  it('should serve HTTP before MongoDB exists, answer 503 meanwhile, and recover when it appears', async () => {
    const started = Date.now();
    app = await startApp(
      testConfig({
        ...DEADLINES,
        MONGO_URL: `mongodb://127.0.0.1:${port}/audit_deadlines`,
        AUDIT_INGEST_ENABLED: 'false',
      }),
      { waitForMongo: false },
    );
    expect(Date.now() - started).toBeLessThan(ANSWER_BOUND_MS);
    expect((await health('/health/live')).statusCode).toBe(200);
    const ready = await health('/health/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'mongodb', status: 'down' })]),
    );
    await expectUnavailable();

    mongo = await startOwnMongo(port, h2File);
    await expectRecovered();
  });

  it('should answer 503 within the deadline while MongoDB is paused, and recover when it resumes', async () => {
    mongo!.kill('SIGSTOP');
    try {
      await expectUnavailable();
      await expectUnavailable(); // also once the driver has given up on the server
      expect((await health('/health/ready')).statusCode).toBe(503);
      expect((await health('/health/live')).statusCode).toBe(200);
    } finally {
      mongo!.kill('SIGCONT');
    }
    await expectRecovered();
  });

  it('should answer 503, not 500, while MongoDB is stopped, and recover when it is back', async () => {
    await stopOwnMongo(mongo!);
    await expectUnavailable();
    await expectUnavailable('/api/v1/audit/stats/by-type');
    await expectUnavailable('/api/v1/audit/export?format=ndjson');
    mongo = await startOwnMongo(port, h2File);
    await expectRecovered();
  });
});
