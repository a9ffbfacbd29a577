import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { AuditConfig } from '../../../config/audit.config';
import { AUDIT_CONFIG, LOGGER } from '../../tokens';
import { AuditMetrics } from '../audit.metrics';
import { KafkaBatchServer } from './kafka-batch.server';
import { KafkaClients } from './kafka-clients';

/** What the last sample saw of one partition. */
export interface PartitionProgress {
  topic: string;
  partition: number;
  /** Messages between the group's committed offset and the high watermark. */
  lag: number;
  /** Age of the oldest message not yet stored, seconds (0 without lag). */
  oldestUnprocessedAgeSeconds: number;
  /** Since when (ms epoch) the committed offset has not moved while the partition had lag. */
  noProgressSince: number;
}

/**
 * Watches the ingest from the broker's side, so a partition that makes no progress shows up whatever holds
 * it (MongoDB down and the chunk retried, a paused or crashed consumer): every `AUDIT_PROGRESS_SAMPLE_MS`
 * it reads the group's committed offsets and the high watermarks, sets `taskflow_kafka_consumer_lag` and
 * `taskflow_kafka_consumer_oldest_unprocessed_age_seconds` per partition, and reports as stalled every
 * partition with lag whose committed offset has not moved for `AUDIT_STALL_AFTER_MS` (readiness degraded).
 *
 * The age is exact while the consumer holds the oldest message (the usual case: a chunk being retried);
 * otherwise it is the time since the partition last made progress, a lower bound.
 */
@Injectable()
export class ConsumerProgress implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly partitions = new Map<string, PartitionProgress & { committed: number }>();
  private timer?: NodeJS.Timeout;
  private sampling?: Promise<void>;

  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    private readonly kafka: KafkaClients,
    private readonly transport: KafkaBatchServer,
    private readonly metrics: AuditMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.kafka.ingestEnabled) return;
    void this.sample(); // the lag series exist from the start, not only after the first interval
    this.timer = setInterval(() => void this.sample(), this.config.kafka.progressSampleMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
  }

  /** Takes one sample now (a sample already under way is awaited instead). Never rejects. */
  sample(now = Date.now()): Promise<void> {
    this.sampling ??= this.takeSample(now)
      .catch((error: unknown) => this.logger.warn({ err: error }, 'consumer progress: cannot read offsets'))
      .finally(() => (this.sampling = undefined));
    return this.sampling;
  }

  /** Partitions with lag and no progress for longer than AUDIT_STALL_AFTER_MS. */
  stalled(now = Date.now()): PartitionProgress[] {
    return [...this.partitions.values()]
      .filter((p) => p.lag > 0 && now - p.noProgressSince > this.config.kafka.stallAfterMs)
      .map(({ committed: _committed, ...progress }) => progress);
  }

  private async takeSample(now: number): Promise<void> {
    const { groupId, topics } = this.config.kafka;
    for (const offsets of await this.kafka.partitionOffsets(groupId, topics)) {
      const { topic, partition, high, low, committed } = offsets;
      const lag = Math.max(0, high - (committed >= 0 ? committed : low));
      const key = `${topic}:${partition}`;
      const previous = this.partitions.get(key);
      const progressed = !previous || previous.committed !== committed || lag === 0;
      const noProgressSince = progressed ? now : previous.noProgressSince;
      const held = this.transport.oldestUncommittedTimestamp(topic, partition);
      const ageMs = lag === 0 ? 0 : held !== undefined ? now - held : now - noProgressSince;
      const oldestUnprocessedAgeSeconds = Math.max(0, ageMs) / 1000;
      this.partitions.set(key, { topic, partition, lag, committed, noProgressSince, oldestUnprocessedAgeSeconds });
      const labels = { topic, partition: String(partition) };
      this.metrics.lag.set(labels, lag);
      this.metrics.oldestUnprocessedAge.set(labels, oldestUnprocessedAgeSeconds);
      if (previous && now - noProgressSince > this.config.kafka.stallAfterMs) {
        this.logger.error(
          { topic, partition, lag, stalledForMs: now - noProgressSince },
          'partition makes no progress',
        );
      }
    }
  }
}
