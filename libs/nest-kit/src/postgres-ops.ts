import { Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { HealthRegistry } from './health';
import type { AppMetrics } from './metrics';

/** The counters of a node-postgres (pg-pool) Pool that the pool metrics read. */
export interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options: { max: number };
}

/** One pool's state at one instant, in connections (in_use, idle, max) and queued requests (waiting). */
export interface PoolSample {
  inUse: number;
  idle: number;
  max: number;
  waiting: number;
}

/**
 * A pool's state as the metrics report it. pg-pool queues every `connect()` and hands it an idle connection on
 * the next tick, so between the two its `waitingCount` counts a request that an idle connection is about to
 * serve (a scrape whose own collectors query PostgreSQL sees exactly that: waiting=1 while in_use=0). Waiting
 * here means what exhaustion means: requests no idle connection can serve.
 */
export function poolSample(pool: PgPool): PoolSample {
  return {
    inUse: pool.totalCount - pool.idleCount,
    idle: pool.idleCount,
    max: pool.options.max,
    waiting: Math.max(0, pool.waitingCount - pool.idleCount),
  };
}

/** The pg pools behind a DataSource: the primary's, plus one per replica with replication. */
function pools(dataSource: DataSource): { pool: string; stats: PgPool }[] {
  const driver = dataSource.driver as unknown as { master?: PgPool; slaves?: PgPool[] };
  return [
    ...(driver.master ? [{ pool: 'primary', stats: driver.master }] : []),
    ...(driver.slaves ?? []).map((stats, index) => ({ pool: `replica-${index}`, stats })),
  ];
}

/**
 * Readiness and pool metrics of a PostgreSQL service with an outbox. Hard: PostgreSQL and the schema version.
 * Soft: the broker — while it is down writes continue into the outbox, so the service stays ready (degraded).
 * Pool metrics, read from the pg pools at scrape time by `pool` (primary, replica-N), see poolSample:
 * `taskflow_db_pool_connections{state=in_use|idle}` (their sum is the open connections),
 * `taskflow_db_pool_max_connections` and `taskflow_db_pool_waiting_requests` (queued for a connection).
 */
export function registerPostgresOps(
  registry: HealthRegistry,
  metrics: AppMetrics,
  dataSource: DataSource,
  options: { schema: () => Promise<unknown>; broker?: { ping(): Promise<void> } },
): void {
  registry.register({ name: 'postgres', kind: 'database', check: () => dataSource.query('SELECT 1') });
  registry.register({ name: 'schema', kind: 'schema', check: () => options.schema().then(() => undefined) });
  const broker = options.broker;
  if (broker) registry.register({ name: 'kafka', kind: 'broker', critical: false, check: () => broker.ping() });

  if (metrics.registry.getSingleMetric('taskflow_db_pool_connections')) return;
  const samples = () => pools(dataSource).map(({ pool, stats }) => ({ pool, ...poolSample(stats) }));
  new Gauge({
    name: 'taskflow_db_pool_connections',
    help: 'Open PostgreSQL pool connections by pool (primary, replica-N) and state (in_use, idle)',
    labelNames: ['pool', 'state'],
    registers: [metrics.registry],
    collect(this: Gauge<'pool' | 'state'>) {
      this.reset();
      for (const { pool, inUse, idle } of samples()) {
        this.set({ pool, state: 'in_use' }, inUse);
        this.set({ pool, state: 'idle' }, idle);
      }
    },
  });
  new Gauge({
    name: 'taskflow_db_pool_max_connections',
    help: 'Size limit of each PostgreSQL pool (DB_POOL_MAX)',
    labelNames: ['pool'],
    registers: [metrics.registry],
    collect(this: Gauge<'pool'>) {
      this.reset();
      for (const { pool, max } of samples()) this.set({ pool }, max);
    },
  });
  new Gauge({
    name: 'taskflow_db_pool_waiting_requests',
    help: 'Requests queued for a PostgreSQL connection that no idle connection can serve, by pool',
    labelNames: ['pool'],
    registers: [metrics.registry],
    collect(this: Gauge<'pool'>) {
      this.reset();
      for (const { pool, waiting } of samples()) this.set({ pool }, waiting);
    },
  });
}
