import { Inject, Injectable } from '@nestjs/common';
import { AuditReadV1, Events } from '@taskflow/contracts';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AuditConfig } from '../../config/audit.config';
import { EventLog } from '../domain/event-log';
import { TimeBucket } from '../domain/time-bucket';
import { AUDIT_CONFIG, LOGGER } from '../tokens';
import { EventFilter, PageRequest } from '@taskflow/contracts';
import { AuditActs, BrokerProbe, EventStore, Page } from './ports';
import { notRecorded, recorded } from './recorded';

/** Who reads, through which route: `actorId` is the verified token's subject, `route` e.g. `GET /api/v1/audit/events`. */
export interface Reader {
  actorId: string;
  route: string;
}

const NOT_RECORDED = 'AUDIT.READ_NOT_RECORDED';

/**
 * The audit store's query API with every read recorded (issue 13 part 7): each query publishes one `audit.read`
 * {route, filter (the parsed one), resultCount} with the reader as actor, through AuditActs
 * (AuditEventPublisher).
 *
 * Fail closed: the answer is sent only after its `audit.read` is acknowledged by Kafka; when it cannot be
 * (Kafka down, deadline KAFKA_REQUEST_TIMEOUT_MS) the caller gets 503 `AUDIT.READ_NOT_RECORDED`. An export's
 * count is known only when its stream ends: it starts only while Kafka answers, its `audit.read` is published
 * after the last row, and a failure then cuts the transfer short (the client sees an incomplete download).
 *
 * No feedback loop: only these HTTP reads publish `audit.read`; the ingest never reads through here and nothing
 * publishes in response to storing an event, so reading `audit.read` events records exactly one more.
 */
@Injectable()
export class AuditedReads {
  private readonly deadlineMs: number;

  constructor(
    private readonly events: EventStore,
    private readonly publisher: AuditActs,
    private readonly kafka: BrokerProbe,
    @Inject(AUDIT_CONFIG) config: AuditConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.deadlineMs = config.kafka.requestTimeoutMs;
  }

  async findPage(reader: Reader, filter: EventFilter, page: PageRequest): Promise<Page> {
    const result = await this.events.findPage(filter, page);
    await this.record(
      reader,
      { ...describe(filter), limit: page.limit, ...(page.cursor && { cursor: true }) },
      result.items.length,
    );
    return result;
  }

  async findTrail(reader: Reader, correlationId: string): Promise<EventLog[]> {
    const items = await this.events.findTrail(correlationId);
    await this.record(reader, { correlationId }, items.length);
    return items;
  }

  /** One entity's events, oldest first (as-of reads and timelines fold them). */
  async findEntityEvents(reader: Reader, entityType: string, entityId: string, cap: number): Promise<EventLog[]> {
    const items = await this.events.findEntityEvents(entityType, entityId, cap);
    await this.record(reader, { entityType, entityId }, items.length);
    return items;
  }

  /** `resultCount` is the number of records the groups count. */
  async countBy(reader: Reader, field: 'type' | 'actorId', filter: EventFilter, limit: number) {
    const items = await this.events.countBy(field, filter, limit);
    await this.record(reader, describe(filter), sum(items));
    return items;
  }

  async countByBucket(reader: Reader, bucket: TimeBucket, filter: EventFilter) {
    const items = await this.events.countByBucket(bucket, filter);
    await this.record(reader, { ...describe(filter), bucket }, sum(items));
    return items;
  }

  /**
   * The export's rows, newest first; starts only if Kafka answers now (503 otherwise). `audit.read` counts the
   * rows handed to the response: after the last one, or when the client goes away mid-way.
   */
  async stream(reader: Reader, filter: EventFilter, limit?: number): Promise<AsyncIterable<EventLog>> {
    try {
      await this.kafka.ping();
    } catch (error) {
      throw notRecorded(NOT_RECORDED, 'The export', error);
    }
    const rows = this.events.streamAll(filter, limit);
    return recordAtEnd(rows, (count) => this.record(reader, { ...describe(filter), ...(limit && { limit }) }, count));
  }

  /** Records a read the caller made itself (tamper verification reads the chains, not the query API). */
  recordRead(reader: Reader, filter: Record<string, unknown>, resultCount: number): Promise<void> {
    return this.record(reader, filter, resultCount);
  }

  private async record(reader: Reader, filter: Record<string, unknown>, resultCount: number): Promise<void> {
    const payload: AuditReadV1 = { route: reader.route, filter, resultCount };
    const publish = this.publisher.publish(Events.AuditRead, {
      actorId: reader.actorId,
      entityId: randomUUID(),
      payload,
    });
    await recorded(publish, this.deadlineMs, NOT_RECORDED, 'The read').catch((error: Error) => {
      this.logger.error({ route: reader.route, actorId: reader.actorId, resultCount }, 'audit.read not recorded');
      throw error;
    });
  }
}

/**
 * Yields `rows`, counting them; after the last one awaits `record(count)` (its failure fails the stream). When
 * the consumer stops early, records the rows handed over so far (its failure is logged by `record`). A source
 * that fails before any row is not a read: nothing is recorded.
 */
export async function* recordAtEnd<T>(
  rows: AsyncIterable<T>,
  record: (count: number) => Promise<void>,
): AsyncIterable<T> {
  let count = 0;
  let complete = false;
  try {
    for await (const row of rows) {
      count += 1;
      yield row;
    }
    complete = true;
  } finally {
    if (!complete && count > 0) await record(count).catch(() => undefined);
  }
  await record(count);
}

/** The parsed filter as JSON (dates as RFC 3339), the shape `audit.read` carries. */
function describe(filter: EventFilter): Record<string, unknown> {
  return JSON.parse(JSON.stringify(filter)) as Record<string, unknown>;
}

function sum(items: { count: number }[]): number {
  return items.reduce((total, item) => total + item.count, 0);
}
