import { Inject, Injectable } from '@nestjs/common';
import {
  DeadLetterItem,
  DeadLetterPage,
  DeadLetterRef,
  deadLetterTopic,
  FieldError,
  ListDeadLettersQuery,
  PurgeDeadLettersRequest,
  PurgeDeadLettersResponse,
  RedriveDeadLettersResponse,
  Events,
} from '@taskflow/contracts';
import { AppError } from '@taskflow/nest-kit';
import { IHeaders, KafkaMessage } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AuditConfig } from '../../../config/audit.config';
import { AUDIT_CONFIG, LOGGER } from '../../tokens';
import { AuditEventPublisher } from './audit-event-publisher';
import { KafkaClients } from './kafka-clients';
import {
  decodeCursor,
  decodedIds,
  encodeCursor,
  invalidRequest,
  toDeadLetterItem,
  withoutDeadLetterHeaders,
} from './dead-letter-records';
import { PartitionRange, readPartitionRanges } from './partition-reader';

const DEFAULT_PAGE = 100;
/** A listing or a redrive that cannot read its records within this long answers 503. */
const READ_DEADLINE_MS = 30_000;

type Watermarks = Map<number, { low: bigint; high: bigint }>;

/**
 * The operator's dead-letter tools: list `<topic>.dlq` records with why they were dead-lettered, redrive
 * selected ones to their original topic, purge a partition up to an offset. Only the dead-letter topics of
 * the subscribed topics are reachable. Redrive and purge are published as `audit.dead_letter.*` events with the
 * actor of the verified token, after the action succeeded. Kafka failures are 503 (`AUDIT.KAFKA_UNAVAILABLE`).
 */
@Injectable()
export class DeadLetterOperations {
  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    private readonly kafka: KafkaClients,
    private readonly publisher: AuditEventPublisher,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * One page of dead letters, in (topic, partition, offset) order. `cursor` is the opaque `nextCursor` of the
   * previous page: per partition the next offset to list. Purged records are skipped.
   */
  async list(query: ListDeadLettersQuery): Promise<DeadLetterPage> {
    const topics = query.topic ? [this.deadLetterTopicOf(query.topic, 'topic')] : this.deadLetterTopics();
    const positions = decodeCursor(query.cursor);
    const limit = query.limit ?? DEFAULT_PAGE;
    return this.kafkaCall(async () => {
      const watermarks = await this.watermarks(topics);
      const ranges: PartitionRange[] = [];
      for (const topic of topics) {
        for (const [partition, { low, high }] of watermarks.get(topic)!) {
          const position = positions.get(`${topic}:${partition}`);
          ranges.push({ topic, partition, from: position !== undefined && position > low ? position : low, to: high });
        }
      }
      const listed = new Map<string, DeadLetterItem[]>();
      await this.read(ranges, async (topic, partition, messages) => {
        const items = listed.get(`${topic}:${partition}`) ?? [];
        listed.set(`${topic}:${partition}`, items);
        for (const message of messages.slice(0, limit - items.length))
          items.push(toDeadLetterItem(topic, partition, message));
        return items.length < limit;
      });
      const items = ranges.flatMap((r) => listed.get(`${r.topic}:${r.partition}`) ?? []).slice(0, limit);
      const next = new Map(ranges.map((r) => [`${r.topic}:${r.partition}`, r.from]));
      for (const item of items) next.set(`${item.topic}:${item.partition}`, BigInt(item.offset) + 1n);
      const more = ranges.some((r) => next.get(`${r.topic}:${r.partition}`)! < r.to);
      return { items, nextCursor: more ? encodeCursor(next) : null };
    });
  }

  /**
   * Re-publishes each selected record to its original topic with its original key, value and headers minus the
   * `x-dlq-*` ones (every other header, e.g. a signature, byte for byte), acknowledged by all in-sync replicas.
   * The records stay in the dead-letter topic until purged. A record that fails again is dead-lettered again
   * by the ingest, with its new reason.
   */
  async redrive(records: DeadLetterRef[], actorId: string): Promise<RedriveDeadLettersResponse> {
    const problems: FieldError[] = [];
    records.forEach((r, i) => this.checkDeadLetterTopic(r.topic, `records.${i}.topic`, problems));
    if (problems.length > 0) throw invalidRequest(problems);
    return this.kafkaCall(async () => {
      const wanted = new Map<string, Set<bigint>>();
      for (const r of records) {
        const key = `${r.topic}:${r.partition}`;
        wanted.set(key, (wanted.get(key) ?? new Set()).add(BigInt(r.offset)));
      }
      const watermarks = await this.watermarks([...new Set(records.map((r) => r.topic))]);
      const ranges: PartitionRange[] = [];
      for (const [key, offsets] of wanted) {
        const [topic, partition] = splitKey(key);
        const marks = watermarks.get(topic)!.get(partition);
        const inTopic = [...offsets].filter((o) => marks && o >= marks.low && o < marks.high);
        if (inTopic.length === 0) continue;
        const from = inTopic.reduce((a, b) => (a < b ? a : b));
        const to = inTopic.reduce((a, b) => (a > b ? a : b)) + 1n;
        ranges.push({ topic, partition, from, to });
      }
      const found = new Map<string, KafkaMessage>();
      await this.read(ranges, async (topic, partition, messages) => {
        const offsets = wanted.get(`${topic}:${partition}`)!;
        for (const m of messages) if (offsets.has(BigInt(m.offset))) found.set(`${topic}:${partition}:${m.offset}`, m);
        return true;
      });
      const redriven: RedriveDeadLettersResponse['redriven'] = [];
      const notFound: DeadLetterRef[] = [];
      const byTopic = new Map<string, { key: Buffer | null; value: Buffer | null; headers: IHeaders }[]>();
      for (const ref of dedupe(records)) {
        const message = found.get(`${ref.topic}:${ref.partition}:${ref.offset}`);
        if (!message) {
          notFound.push(ref);
          continue;
        }
        const originalTopic = originalTopicOf(ref.topic);
        const batch = byTopic.get(originalTopic) ?? [];
        byTopic.set(originalTopic, batch);
        batch.push({ key: message.key, value: message.value, headers: withoutDeadLetterHeaders(message.headers) });
        const { eventId } = decodedIds(message.value);
        redriven.push({ topic: ref.topic, partition: ref.partition, offset: ref.offset, originalTopic, eventId });
      }
      for (const [topic, messages] of byTopic) await this.kafka.producer.send({ topic, acks: -1, messages });
      this.logger.info({ actorId, redriven: redriven.length, notFound: notFound.length }, 'dead letters redriven');
      const auditEventId = await this.publisher.publish(Events.AuditDeadLetterRedriven, {
        actorId,
        entityId: randomUUID(),
        payload: { redriven, notFound: notFound.length },
      });
      return { redriven, notFound, auditEventId };
    });
  }

  /** Kafka DeleteRecords: every record of each partition before `beforeOffset` is removed for good. */
  async purge(request: PurgeDeadLettersRequest, actorId: string): Promise<PurgeDeadLettersResponse> {
    const problems: FieldError[] = [];
    this.checkDeadLetterTopic(request.topic, 'topic', problems);
    if (problems.length > 0) throw invalidRequest(problems);
    const topic = request.topic;
    return this.kafkaCall(async () => {
      const marks = (await this.watermarks([topic])).get(topic)!;
      request.partitions.forEach(({ partition, beforeOffset }, i) => {
        const partitionMarks = marks.get(partition);
        if (!partitionMarks)
          problems.push({ field: `partitions.${i}.partition`, reason: `${topic} has no partition ${partition}` });
        else if (BigInt(beforeOffset) > partitionMarks.high) {
          problems.push({
            field: `partitions.${i}.beforeOffset`,
            reason: `beforeOffset must not be past the end of the partition (high watermark ${partitionMarks.high})`,
          });
        }
      });
      if (new Set(request.partitions.map((p) => p.partition)).size !== request.partitions.length) {
        problems.push({ field: 'partitions', reason: 'each partition at most once' });
      }
      if (problems.length > 0) throw invalidRequest(problems);
      const admin = this.kafka.operatorAdmin();
      await admin.connect();
      try {
        await admin.fetchTopicMetadata({ topics: [topic] }); // deleteTopicRecords needs the partition leaders loaded
        await admin.deleteTopicRecords({
          topic,
          partitions: request.partitions.map((p) => ({ partition: p.partition, offset: p.beforeOffset })),
        });
      } finally {
        await admin.disconnect();
      }
      const partitions = request.partitions.map(({ partition, beforeOffset }) => {
        const low = marks.get(partition)!.low;
        const before = BigInt(beforeOffset);
        return {
          partition,
          beforeOffset,
          previousLowOffset: low.toString(),
          purged: Number(before > low ? before - low : 0n),
        };
      });
      this.logger.info({ actorId, topic, partitions }, 'dead letters purged');
      const auditEventId = await this.publisher.publish(Events.AuditDeadLetterPurged, {
        actorId,
        entityId: randomUUID(),
        payload: { topic, partitions: partitions.map(({ purged: _purged, ...rest }) => rest) },
      });
      return { topic, partitions, auditEventId };
    });
  }

  private deadLetterTopics(): string[] {
    return this.config.kafka.topics.map(deadLetterTopic);
  }

  /** `topic` as given (a subscribed topic or its dead-letter topic) → its dead-letter topic; 400 otherwise. */
  private deadLetterTopicOf(topic: string, field: string): string {
    const dlq = this.config.kafka.topics.includes(topic) ? deadLetterTopic(topic) : topic;
    const problems: FieldError[] = [];
    this.checkDeadLetterTopic(dlq, field, problems);
    if (problems.length > 0) throw invalidRequest(problems);
    return dlq;
  }

  private checkDeadLetterTopic(topic: string, field: string, problems: FieldError[]): void {
    if (!this.deadLetterTopics().includes(topic)) {
      problems.push({ field, reason: `must be one of ${this.deadLetterTopics().join(', ')}` });
    }
  }

  private async watermarks(topics: string[]): Promise<Map<string, Watermarks>> {
    const admin = this.kafka.operatorAdmin();
    await admin.connect();
    try {
      const entries = await Promise.all(
        topics.map(async (topic) => {
          const offsets = await admin.fetchTopicOffsets(topic);
          const marks: Watermarks = new Map(
            offsets
              .sort((a, b) => a.partition - b.partition)
              .map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]),
          );
          return [topic, marks] as const;
        }),
      );
      return new Map(entries);
    } finally {
      await admin.disconnect();
    }
  }

  private read(ranges: PartitionRange[], handle: Parameters<typeof readPartitionRanges>[2]): Promise<void> {
    const groupId = `${this.config.kafka.groupId}.dead-letters.${randomUUID()}`;
    return readPartitionRanges(this.kafka.kafka, ranges, handle, { groupId, deadlineMs: READ_DEADLINE_MS });
  }

  /** Runs `call`; anything but a validation problem means Kafka did not answer: 503, the operator retries. */
  private async kafkaCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof AppError) throw error;
      this.logger.warn({ err: error }, 'dead-letter operation failed: Kafka unavailable');
      throw new AppError('unavailable', 'AUDIT.KAFKA_UNAVAILABLE', `Kafka did not answer: ${String(error)}. Retry.`);
    }
  }
}

function originalTopicOf(dlq: string): string {
  return dlq.slice(0, -deadLetterTopic('').length);
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf(':');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}

function dedupe(records: DeadLetterRef[]): DeadLetterRef[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const key = `${r.topic}:${r.partition}:${BigInt(r.offset)}`;
    return !seen.has(key) && !!seen.add(key);
  });
}
