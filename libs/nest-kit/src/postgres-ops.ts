import { Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { HealthRegistry } from './health';
import type { AppMetrics } from './metrics';

interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
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
 * `taskflow_db_pool_connections{pool,state}` is read from the pg pools at scrape time
 * (state: total, in_use, idle, waiting = requests queued for a connection).
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
  new Gauge({
    name: 'taskflow_db_pool_connections',
    help: 'PostgreSQL pool connections by pool (primary, replica-N) and state (total, in_use, idle, waiting)',
    labelNames: ['pool', 'state'],
    registers: [metrics.registry],
    collect(this: Gauge<'pool' | 'state'>) {
      this.reset();
      for (const { pool, stats } of pools(dataSource)) {
        this.set({ pool, state: 'total' }, stats.totalCount);
        this.set({ pool, state: 'in_use' }, stats.totalCount - stats.idleCount);
        this.set({ pool, state: 'idle' }, stats.idleCount);
        this.set({ pool, state: 'waiting' }, stats.waitingCount);
      }
    },
  });
}
