import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { HealthRegistry } from './health';
import { AppMetrics } from './metrics';
import { OpsModule } from './ops.module';
import { postgresConnectionOptions } from './postgres';
import { registerPostgresOps } from './postgres-ops';

/** The pool gauges read from a real pg pool (max 2) against the real PostgreSQL. */
describe('PostgreSQL pool metrics (real PostgreSQL)', () => {
  let dataSource: DataSource;
  let metrics: AppMetrics;
  let ops: INestApplicationContext;

  /** value of every `taskflow_db_pool_*` sample of the primary pool, keyed `name` or `name{state}`. */
  const pool = async (): Promise<Record<string, number>> => {
    const text = await metrics.registry.metrics();
    const out: Record<string, number> = {};
    for (const match of text.matchAll(/^(taskflow_db_pool_\w+)\{pool="primary"(?:,state="(\w+)")?[^}]*\} (\S+)$/gm)) {
      out[match[2] ? `${match[1]}{${match[2]}}` : match[1]] = Number(match[3]);
    }
    return out;
  };

  beforeAll(async () => {
    dataSource = await new DataSource(
      postgresConnectionOptions(
        {
          url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/taskflow',
          readUrls: [],
          poolMax: 2,
          idleTimeoutMs: 60_000,
          connectTimeoutMs: 5000,
          statementTimeoutMs: 0,
          slowQueryMs: 0,
          tls: { enabled: false, caFile: '', rejectUnauthorized: true },
        },
        { applicationName: 'pool-metrics-test' },
      ),
    ).initialize();
    metrics = new AppMetrics('pool-metrics-test');
    ops = await NestFactory.createApplicationContext(
      OpsModule.forApp({ name: 'pool-metrics-test', version: '0' }, metrics),
      {
        logger: false,
      },
    );
    registerPostgresOps(ops.get(HealthRegistry), metrics, dataSource, {
      schema: async () => undefined,
      probeName: 'pool-metrics-test-probe',
    });
    // Two open connections, both idle again.
    await Promise.all([dataSource.query('SELECT 1'), dataSource.query('SELECT 1')]);
  });

  afterAll(async () => {
    await ops?.close(); // closes the probe connection
    await dataSource?.destroy();
  });

  it('idle pool: nothing in use, nothing waiting, even when the scrape itself queries PostgreSQL', async () => {
    expect(await pool()).toEqual({
      'taskflow_db_pool_connections{in_use}': 0,
      'taskflow_db_pool_connections{idle}': 2,
      taskflow_db_pool_max_connections: 2,
      taskflow_db_pool_waiting_requests: 0,
    });
    // As the outbox gauges do at scrape time: a query starts in the tick the pool gauges are read in.
    const query = dataSource.query('SELECT 1');
    const sample = await pool();
    await query;
    expect(sample['taskflow_db_pool_waiting_requests']).toBe(0);
    expect(sample['taskflow_db_pool_connections{in_use}']).toBe(0);
  });

  it('exhausted pool: both connections in use and the third request waiting', async () => {
    const busy = [dataSource.query('SELECT pg_sleep(1)'), dataSource.query('SELECT pg_sleep(1)')];
    const queued = dataSource.query('SELECT 1');
    // Let the pool hand out its two idle connections (next tick).
    await new Promise((resolve) => setImmediate(resolve));
    expect(await pool()).toEqual({
      'taskflow_db_pool_connections{in_use}': 2,
      'taskflow_db_pool_connections{idle}': 0,
      taskflow_db_pool_max_connections: 2,
      taskflow_db_pool_waiting_requests: 1,
    });
    await Promise.all([...busy, queued]);
  });
});
