import { Client, ClientConfig } from 'pg';
import { Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { HealthRegistry } from './health';
import type { AppMetrics } from './metrics';
import type { SqlQueryable } from './schema-version';

/** Server-side bound of a readiness query on the probe connection (the check itself gives up after 2 s). */
const PROBE_STATEMENT_TIMEOUT_MS = 1500;

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

/**
 * One PostgreSQL connection of its own, outside the request pool, for readiness: a full pool (a table lock,
 * a burst of slow queries) makes requests wait, but does not make the instance look broken, so the balancer
 * keeps every replica while the database is merely slow. Opens again after the connection broke.
 */
export class PostgresProbe implements SqlQueryable {
  private client?: Promise<Client>;
  /** The checks run in parallel; one connection runs one statement at a time (pg 9 will refuse overlap). */
  private previous: Promise<unknown> = Promise.resolve();

  constructor(private readonly config: ClientConfig) {}

  /** The primary's connection settings (URL, TLS, timeouts) from a DataSource's pg pool. */
  static of(dataSource: DataSource, applicationName: string): PostgresProbe {
    const pool = primaryPool(dataSource) as unknown as { options: ClientConfig };
    return new PostgresProbe({
      ...pool.options,
      application_name: applicationName,
      statement_timeout: PROBE_STATEMENT_TIMEOUT_MS,
    });
  }

  async query(sql: string, parameters?: unknown[]): Promise<Record<string, unknown>[]> {
    // A failed statement (e.g. the statement timeout) leaves the connection usable; a broken connection
    // emits 'error' or 'end', and the next query opens a new one.
    const result = this.previous.then(async () => (await this.connection()).query(sql, parameters));
    this.previous = result.catch(() => undefined);
    return (await result).rows;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.then((connected) => connected.end()).catch(() => undefined);
  }

  private connection(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({ keepAlive: true, ...this.config });
    const pending = client.connect().then(() => client);
    const forget = () => {
      if (this.client === pending) this.client = undefined;
      void client.end().catch(() => undefined);
    };
    client.on('error', forget).on('end', forget);
    pending.catch(forget);
    this.client = pending;
    return pending;
  }
}

function primaryPool(dataSource: DataSource): PgPool | undefined {
  return (dataSource.driver as unknown as { master?: PgPool }).master;
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
 * Readiness and pool metrics of a PostgreSQL service with an outbox. Hard: PostgreSQL and the schema version,
 * both checked on a PostgresProbe connection, never through the request pool (issue 15: an 8 s table lock at
 * 50 req/s made every replica unready at once). Soft: the broker — while it is down writes continue into the
 * outbox, so the service stays ready (degraded).
 * Pool metrics, read from the pg pools at scrape time by `pool` (primary, replica-N), see poolSample:
 * `taskflow_db_pool_connections{state=in_use|idle}` (their sum is the open connections),
 * `taskflow_db_pool_max_connections` and `taskflow_db_pool_waiting_requests` (queued for a connection).
 */
export function registerPostgresOps(
  registry: HealthRegistry,
  metrics: AppMetrics,
  dataSource: DataSource,
  options: {
    /** The service's schema version check (rejects when migrations are pending), run on the probe connection. */
    schema: (db: SqlQueryable) => Promise<unknown>;
    broker?: { ping(): Promise<void> };
    /** `application_name` of the probe connection, e.g. `task-service-readiness`. */
    probeName: string;
  },
): void {
  const probe = PostgresProbe.of(dataSource, options.probeName);
  void probe.query('SELECT 1').catch(() => undefined); // connect now, not on the first probe
  registry.register({
    name: 'postgres',
    kind: 'database',
    check: () => probe.query('SELECT 1').then(() => undefined),
    close: () => probe.close(),
  });
  registry.register({ name: 'schema', kind: 'schema', check: () => options.schema(probe).then(() => undefined) });
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
