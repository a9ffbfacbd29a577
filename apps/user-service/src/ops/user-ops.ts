import type { KafkaPublisher } from '@taskflow/messaging-kafka';
import { AppMetrics, HealthRegistry } from '@taskflow/nest-kit';
import { Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { assertSchemaCurrent } from '../database/data-source';

interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** Readiness: PostgreSQL and the schema version are critical; Kafka is not, the outbox buffers while it is down. */
export function registerHealthChecks(registry: HealthRegistry, dataSource: DataSource, publisher?: KafkaPublisher) {
  registry.register({
    name: 'postgres',
    kind: 'database',
    check: () => dataSource.query('SELECT 1').then(() => undefined),
  });
  registry.register({
    name: 'schema',
    kind: 'schema',
    check: () => assertSchemaCurrent(dataSource).then(() => undefined),
  });
  if (publisher) registry.register({ name: 'kafka', kind: 'broker', critical: false, check: () => publisher.ping() });
}

/** `taskflow_db_pool_connections{state,pool}` read from the pg pools at scrape time. */
export function registerPoolMetrics(metrics: AppMetrics, dataSource: DataSource): void {
  const driver = dataSource.driver as unknown as { master?: PgPool; slaves?: PgPool[] };
  new Gauge({
    name: 'taskflow_db_pool_connections',
    help: 'PostgreSQL pool connections by state (total, idle, active, waiting) and pool (primary, replica-N)',
    labelNames: ['state', 'pool'],
    registers: [metrics.registry],
    collect() {
      const pools: [string, PgPool | undefined][] = [
        ['primary', driver.master],
        ...(driver.slaves ?? []).map((pool, index): [string, PgPool] => [`replica-${index}`, pool]),
      ];
      this.reset();
      for (const [pool, stats] of pools) {
        if (!stats) continue;
        this.set({ pool, state: 'total' }, stats.totalCount);
        this.set({ pool, state: 'idle' }, stats.idleCount);
        this.set({ pool, state: 'active' }, stats.totalCount - stats.idleCount);
        this.set({ pool, state: 'waiting' }, stats.waitingCount);
      }
    },
  });
}
