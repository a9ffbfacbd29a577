import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthRegistry, indicatorCheck } from './health';
import { managementServer } from './management';
import { OpsModule } from './ops.module';

/** HealthRegistry on terminus, through the management routes the probes call. */
describe('HealthRegistry', () => {
  let app: INestApplicationContext;
  let registry: HealthRegistry;

  const get = async (url: string) => {
    const response = await managementServer(app).server.inject({ method: 'GET', url });
    return { statusCode: response.statusCode, body: response.json() };
  };
  const check = (name: string, kind: HealthCheck['kind'], outcome: () => Promise<void>, critical?: boolean) =>
    registry.register({ name, kind, check: outcome, ...(critical === undefined ? {} : { critical }) });

  beforeEach(async () => {
    app = await NestFactory.createApplicationContext(OpsModule.forApp({ name: 'health-test', version: '1.0.0' }), {
      logger: false,
    });
    registry = app.get(HealthRegistry);
  });

  afterEach(() => app.close());

  it('should answer ready 200 ok with every check up, in registration order', async () => {
    check('postgres', 'database', async () => undefined);
    check('kafka', 'broker', async () => undefined, false);
    const { statusCode, body } = await get('/health/ready');
    expect(statusCode).toBe(200);
    expect(body).toEqual({
      status: 'ok',
      checks: [
        { name: 'postgres', kind: 'database', status: 'up', critical: true, latencyMs: expect.any(Number) },
        { name: 'kafka', kind: 'broker', status: 'up', critical: false, latencyMs: expect.any(Number) },
      ],
    });
  });

  it('should stay ready (200 degraded) when only a non-critical check fails, and report that check down', async () => {
    check('postgres', 'database', async () => undefined);
    check('kafka', 'broker', () => Promise.reject(new Error('broker unreachable')), false);
    const { statusCode, body } = await get('/health/ready');
    expect(statusCode).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.checks[1]).toMatchObject({
      name: 'kafka',
      status: 'down',
      critical: false,
      error: 'broker unreachable',
    });
  });

  it('should answer ready 503 down when a critical check fails', async () => {
    check('postgres', 'database', () => Promise.reject(new Error('connection refused')));
    check('kafka', 'broker', () => Promise.reject(new Error('broker unreachable')), false);
    const { statusCode, body } = await get('/health/ready');
    expect(statusCode).toBe(503);
    expect(body.status).toBe('down');
    expect(body.checks.map((c: { status: string }) => c.status)).toEqual(['down', 'down']);
  });

  it('should fail a check that does not answer within 2 s', async () => {
    check('postgres', 'database', () => new Promise(() => undefined));
    const started = Date.now();
    const { statusCode, body } = await get('/health/ready');
    expect(statusCode).toBe(503);
    expect(body.checks[0]).toMatchObject({ status: 'down', error: expect.stringContaining('2000ms') });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('should list only the database checks under /health/database', async () => {
    check('postgres', 'database', async () => undefined);
    check('schema', 'schema', () => Promise.reject(new Error('pending migrations')));
    const { statusCode, body } = await get('/health/database');
    expect(statusCode).toBe(200);
    expect(body).toEqual({ status: 'ok', checks: [expect.objectContaining({ name: 'postgres', status: 'up' })] });
  });

  it('should answer ready 503 draining from the shutdown signal on, while liveness stays 200', async () => {
    check('postgres', 'database', async () => undefined);
    registry.startDraining();
    expect(await get('/health/ready')).toEqual({ statusCode: 503, body: { status: 'draining', checks: [] } });
    expect((await get('/health/live')).statusCode).toBe(200);
  });

  it('should refuse a second check of the same name', () => {
    check('postgres', 'database', async () => undefined);
    expect(() => check('postgres', 'database', async () => undefined)).toThrow('already registered');
  });

  it('should close what the checks hold once, at shutdown', async () => {
    const close = jest.fn(async () => undefined);
    registry.register({ name: 'postgres', kind: 'database', check: async () => undefined, close });
    await app.close();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it("should take a terminus indicator's down as a failed check, with its message", async () => {
    check(
      'mongodb',
      'database',
      indicatorCheck(async () => ({ mongodb: { status: 'down', message: 'Not connected to database' } })),
    );
    check(
      'cache',
      'cache',
      indicatorCheck(async () => ({ cache: { status: 'up' } })),
      false,
    );
    const { statusCode, body } = await get('/health/ready');
    expect(statusCode).toBe(503);
    expect(body.checks).toEqual([
      expect.objectContaining({ name: 'mongodb', status: 'down', error: 'Not connected to database' }),
      expect.objectContaining({ name: 'cache', status: 'up' }),
    ]);
  });
});
