import { Injectable } from '@nestjs/common';
import { AppMetrics } from '@taskflow/nest-kit';
import { Counter, Gauge } from 'prom-client';

/** Metric names are the contract of ops/monitoring (dashboards and alerts). */
@Injectable()
export class AuditMetrics {
  readonly ingested: Counter;
  readonly duplicates: Counter;
  readonly conflicts: Counter;
  readonly deadLettered: Counter<'topic' | 'code'>;
  readonly consumed: Counter<'topic'>;
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly oldestUnprocessedAge: Gauge<'topic' | 'partition'>;
  readonly writeRetries: Counter;

  constructor(app: AppMetrics) {
    const registers = [app.registry];
    this.ingested = new Counter({
      name: 'taskflow_audit_events_ingested_total',
      help: 'Events newly stored in event_logs',
      registers,
    });
    this.duplicates = new Counter({
      name: 'taskflow_audit_duplicates_total',
      help: 'Redelivered events skipped by the unique eventId index',
      registers,
    });
    this.conflicts = new Counter({
      name: 'taskflow_audit_event_conflicts_total',
      help: 'Events whose eventId was stored with other content (both kept in event_log_conflicts)',
      registers,
    });
    this.deadLettered = new Counter({
      name: 'taskflow_audit_dead_lettered_total',
      help: 'Messages sent to <topic>.dlq, by x-dlq-error-code (undecodable, invalid-envelope, rejected-by-store, …)',
      labelNames: ['topic', 'code'],
      registers,
    });
    this.consumed = new Counter({
      name: 'taskflow_kafka_messages_consumed_total',
      help: 'Kafka messages consumed by the audit ingest',
      labelNames: ['topic'],
      registers,
    });
    this.lag = new Gauge({
      name: 'taskflow_kafka_consumer_lag',
      help: 'Messages between the last committed offset and the high watermark (sampled from the broker)',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.oldestUnprocessedAge = new Gauge({
      name: 'taskflow_kafka_consumer_oldest_unprocessed_age_seconds',
      help: 'Age of the oldest message of the partition not yet stored (0 without lag)',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.writeRetries = new Counter({
      name: 'taskflow_audit_write_retries_total',
      help: 'Bulk inserts retried because MongoDB was unavailable',
      registers,
    });
  }
}
