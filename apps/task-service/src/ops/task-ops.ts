import type { KafkaPublisher } from '@taskflow/messaging-kafka';
import type { AppMetrics, HealthRegistry } from '@taskflow/nest-kit';
import { Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { assertSchemaCurrent } from '../database/data-source';

interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** The pg pools behind the DataSource: the primary's, plus one per replica with replication. */
function pools(dataSource: DataSource): { role: string; pool: PgPool }[] {
  const driver = dataSource.driver as unknown as { master?: PgPool; slaves?: PgPool[] };
  return [
    ...(driver.master ? [{ role: 'primary', pool: driver.master }] : []),
    ...(driver.slaves ?? []).map((pool, i) => ({ role: `replica${i}`, pool })),
  ];
}

/** Readiness checks (PostgreSQL, schema version, Kafka) and the DB pool gauges. */
export function registerTaskOps(
  registry: HealthRegistry,
  metrics: AppMetrics,
  dataSource: DataSource,
  publisher: KafkaPublisher,
): void {
  registry.register({ name: 'postgres', kind: 'database', check: () => dataSource.query('SELECT 1') });
  registry.register({
    name: 'schema',
    kind: 'schema',
    check: () => assertSchemaCurrent(dataSource).then(() => undefined),
  });
  // Kafka down delays events (the outbox keeps them) but does not stop writes: not critical for readiness.
  registry.register({ name: 'kafka', kind: 'broker', critical: false, check: () => publisher.ping() });

  if (metrics.registry.getSingleMetric('taskflow_db_pool_connections')) return;
  new Gauge({
    name: 'taskflow_db_pool_connections',
    help: 'PostgreSQL pool connections by state (total, idle, waiting = queued requests)',
    labelNames: ['pool', 'state'],
    registers: [metrics.registry],
    collect(this: Gauge<'pool' | 'state'>) {
      for (const { role, pool } of pools(dataSource)) {
        this.set({ pool: role, state: 'total' }, pool.totalCount);
        this.set({ pool: role, state: 'idle' }, pool.idleCount);
        this.set({ pool: role, state: 'active' }, pool.totalCount - pool.idleCount);
        this.set({ pool: role, state: 'waiting' }, pool.waitingCount);
      }
    },
  });
}
