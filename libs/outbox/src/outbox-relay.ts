import type { EventEnvelope } from '@taskflow/contracts';
import type { KafkaPublisher } from '@taskflow/messaging-kafka';
import type { AppMetrics } from '@taskflow/nest-kit';
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { backoffMs } from './backoff';
import { assertTableName } from './outbox-sql';

export interface OutboxRelayOptions {
  dataSource: DataSource;
  table: string;
  publisher: KafkaPublisher;
  logger: Logger;
  /** Rows per Kafka batch (default 200). */
  batchSize?: number;
  /** Pause when the outbox is empty, ms (default 250). */
  pollIntervalMs?: number;
  /** Sent rows older than this are deleted, ms (default 24 h). */
  retentionMs?: number;
  metrics?: AppMetrics;
  /** First and largest pause after a failed publish, ms (defaults 500 and 10000). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

interface PendingRow {
  id: string;
  topic: string;
  message_key: string;
  payload: EventEnvelope<object>;
}

const PRUNE_EVERY_MS = 60_000;

/**
 * Publishes the outbox to Kafka and marks rows sent. Each batch runs in one transaction: lock the oldest
 * pending rows (FOR UPDATE SKIP LOCKED), publish, set sent_at, commit. A failed publish rolls the batch back
 * and records the attempt; the loop backs off and retries. Delivery is at least once (a crash between the
 * Kafka ack and the commit resends the batch); consumers dedupe on eventId.
 */
export class OutboxRelay {
  private readonly table: string;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly retentionMs: number;
  private readonly produced?: Counter<'topic'>;
  private running = false;
  private timer?: NodeJS.Timeout;
  private wakeUp?: () => void;
  private loop?: Promise<void>;
  private failures = 0;
  private lastPrune = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.table = assertTableName(options.table);
    this.batchSize = options.batchSize ?? 200;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.retentionMs = options.retentionMs ?? 24 * 3600_000;
    if (options.metrics) this.produced = this.registerMetrics(options.metrics);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.loop;
  }

  /**
   * After `stop()` at shutdown: publishes what is still pending, batch after batch, unless the broker is
   * failing (then the rows stay for the next relay). Returns the number of rows sent.
   */
  async flush(): Promise<number> {
    let sent = 0;
    while (this.failures === 0) {
      const batch = await this.publishPending();
      if (batch === 0) break;
      sent += batch;
    }
    return sent;
  }

  /**
   * Ends the current poll pause so a fresh commit is published without waiting for the next poll. A backoff
   * pause after a failed publish is not cut short: under write load every commit would otherwise retry the
   * broken broker at once (and record another failed attempt on the whole batch).
   */
  wake(): void {
    if (this.failures === 0) this.wakeUp?.();
  }

  /** Publishes one batch; returns how many rows were sent (0 when empty or another relay holds the lock). */
  async publishPending(): Promise<number> {
    const runner = this.options.dataSource.createQueryRunner('master');
    await runner.connect();
    let rows: PendingRow[] = [];
    try {
      await runner.startTransaction();
      // One active publisher per table at a time: with several relays working in parallel, two batches could
      // hold consecutive events of one entity and send them out of order. SKIP LOCKED stays as the row guard.
      const [{ locked }] = await runner.query(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`, [
        `outbox:${this.table}`,
      ]);
      if (locked) {
        rows = await runner.query(
          `SELECT "id", "topic", "message_key", "payload" FROM "${this.table}"
           WHERE "sent_at" IS NULL ORDER BY "created_at", "event_id" LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [this.batchSize],
        );
      }
      if (rows.length === 0) {
        await runner.commitTransaction();
        return 0;
      }
      await this.options.publisher.publishEnvelopes(
        rows.map((row) => ({ topic: row.topic, key: row.message_key, envelope: row.payload })),
      );
      await runner.query(`UPDATE "${this.table}" SET "sent_at" = clock_timestamp() WHERE "id" = ANY($1::uuid[])`, [
        rows.map((row) => row.id),
      ]);
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      if (rows.length > 0) await this.recordFailure(rows, error as Error);
      throw error;
    } finally {
      await runner.release();
    }
    for (const row of rows) this.produced?.inc({ topic: row.topic });
    return rows.length;
  }

  async stats(): Promise<{ pending: number; oldestPendingAgeSeconds: number }> {
    const [row] = await this.options.dataSource.query(
      `SELECT count(*)::int AS pending,
              COALESCE(EXTRACT(EPOCH FROM (now() - min("created_at"))), 0)::float AS age
       FROM "${this.table}" WHERE "sent_at" IS NULL`,
    );
    return { pending: row.pending, oldestPendingAgeSeconds: Math.max(0, row.age) };
  }

  /** Deletes sent rows past retention, in chunks so no long lock is held. */
  async prune(): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.options.dataSource.query(
        `DELETE FROM "${this.table}" WHERE "id" IN (
           SELECT "id" FROM "${this.table}"
           WHERE "sent_at" IS NOT NULL AND "sent_at" < now() - make_interval(secs => $1) LIMIT 5000)`,
        [this.retentionMs / 1000],
      );
      const deleted = Array.isArray(result) ? Number(result[1] ?? 0) : 0;
      total += deleted;
      if (deleted < 5000) return total;
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let pause = this.pollIntervalMs;
      try {
        const sent = await this.publishPending();
        if (this.failures > 0) this.options.logger.info({ table: this.table }, 'outbox relay recovered');
        this.failures = 0;
        if (sent === this.batchSize) pause = 0;
        if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
          this.lastPrune = Date.now();
          const pruned = await this.prune();
          if (pruned > 0) this.options.logger.debug({ table: this.table, pruned }, 'outbox pruned');
        }
      } catch (error) {
        this.failures += 1;
        pause = backoffMs(this.failures, this.options.backoffBaseMs ?? 500, this.options.backoffMaxMs ?? 10_000);
        this.options.logger.warn(
          { err: error, table: this.table, failures: this.failures, retryInMs: pause },
          'outbox publish failed; will retry',
        );
      }
      if (this.running && pause > 0) await this.sleep(pause);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(this.timer);
        this.wakeUp = undefined;
        resolve();
      };
      this.wakeUp = done;
      this.timer = setTimeout(done, ms);
    });
  }

  private async recordFailure(rows: PendingRow[], error: Error): Promise<void> {
    await this.options.dataSource
      .query(`UPDATE "${this.table}" SET "attempts" = "attempts" + 1, "last_error" = $2 WHERE "id" = ANY($1::uuid[])`, [
        rows.map((row) => row.id),
        String(error.message).slice(0, 1000),
      ])
      .catch((recordError: Error) =>
        this.options.logger.warn({ err: recordError }, 'could not record the outbox publish failure'),
      );
  }

  private registerMetrics(metrics: AppMetrics): Counter<'topic'> {
    const registry = metrics.registry;
    const existing = (name: string) => registry.getSingleMetric(name);
    // Gauges are computed at scrape time; one relay per registry (the first registered wins).
    if (!existing('taskflow_outbox_pending')) {
      let last: Promise<{ pending: number; oldestPendingAgeSeconds: number }> | undefined;
      const current = () => (last ??= this.stats().finally(() => setTimeout(() => (last = undefined), 0)));
      new Gauge({
        name: 'taskflow_outbox_pending',
        help: 'Outbox rows not yet published to Kafka',
        registers: [registry],
        collect: async function (this: Gauge) {
          this.set((await current().catch(() => ({ pending: -1 }))).pending);
        },
      });
      new Gauge({
        name: 'taskflow_outbox_oldest_pending_age_seconds',
        help: 'Age of the oldest unpublished outbox row in seconds',
        registers: [registry],
        collect: async function (this: Gauge) {
          this.set((await current().catch(() => ({ oldestPendingAgeSeconds: -1 }))).oldestPendingAgeSeconds);
        },
      });
    }
    return (
      (existing('taskflow_kafka_messages_produced_total') as Counter<'topic'> | undefined) ??
      new Counter({
        name: 'taskflow_kafka_messages_produced_total',
        help: 'Messages acknowledged by Kafka, by topic',
        labelNames: ['topic'],
        registers: [registry],
      })
    );
  }
}
