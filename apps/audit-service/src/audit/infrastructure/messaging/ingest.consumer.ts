import { Inject, Injectable } from '@nestjs/common';
import { decodeEnvelope, deadLetterTopic } from '@taskflow/contracts';
import { Consumer, EachBatchPayload, IHeaders, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { AuditConfig } from '../../../config/audit.config';
import { toEventLog } from '../../application/to-event-log';
import { EventLog } from '../../domain/event-log';
import { AUDIT_CONFIG, LOGGER } from '../../tokens';
import { AuditMetrics } from '../audit.metrics';
import { EventLogRepository, InsertResult } from '../persistence/event-log.repository';
import { KafkaClients } from './kafka-clients';

const MAX_BACKOFF_MS = 30_000;
const HEARTBEAT_EVERY_MS = 3_000;

interface DeadLetter {
  message: KafkaMessage;
  reason: string;
}

/**
 * Kafka → event_logs. Not the Nest Kafka transport: it hands over one message at a time and commits on its
 * own schedule, while this ingest needs one bulk insert per batch and a commit only after that insert is
 * durable. So it owns a kafkajs consumer with eachBatch, autoCommit off and explicit commits.
 */
@Injectable()
export class IngestConsumer {
  private consumer?: Consumer;
  private connected = false;
  private crashed = false;
  /** Test hook: return true to simulate a crash after a chunk is written and before its offsets are committed. */
  crashAfterWrite?: () => boolean;

  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    private readonly kafka: KafkaClients,
    private readonly events: EventLogRepository,
    private readonly metrics: AuditMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  get isConnected(): boolean {
    return this.connected && !this.crashed;
  }

  async start(): Promise<void> {
    const { groupId, topics } = this.config.kafka;
    const consumer = this.kafka.kafka.consumer({ groupId, allowAutoTopicCreation: false, sessionTimeout: 30_000 });
    consumer.on(consumer.events.CONNECT, () => (this.connected = true));
    consumer.on(consumer.events.DISCONNECT, () => (this.connected = false));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.connected = payload.restart;
      this.logger.error({ err: payload.error, restart: payload.restart }, 'kafka consumer crashed');
    });
    this.consumer = consumer;
    await consumer.connect();
    // A new group starts at the earliest offset: an audit log must not miss what was published before it.
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.logger.info({ groupId, topics }, 'audit ingest started');
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    // After a simulated crash nothing is written or committed; the short wait avoids a hot refetch loop.
    if (this.crashed) return new Promise((resolve) => setTimeout(resolve, 100));
    for (let start = 0; start < batch.messages.length; start += this.config.kafka.batchSize) {
      if (this.crashed || !isRunning() || isStale()) return;
      const chunk = batch.messages.slice(start, start + this.config.kafka.batchSize);
      await this.writeChunk(topic, partition, chunk, payload);
      if (this.crashAfterWrite?.()) {
        this.crashed = true;
        return;
      }
      const last = chunk[chunk.length - 1].offset;
      resolveOffset(last);
      // Committed only now that every message of the chunk is stored or dead-lettered.
      await this.consumer?.commitOffsets([{ topic, partition, offset: (BigInt(last) + 1n).toString() }]);
      this.metrics.lag.set({ topic, partition: String(partition) }, Number(batch.highWatermark) - Number(last) - 1);
      await heartbeat();
    }
  }

  private async writeChunk(
    topic: string,
    partition: number,
    chunk: KafkaMessage[],
    payload: EachBatchPayload,
  ): Promise<void> {
    this.metrics.consumed.inc({ topic }, chunk.length);
    const docs: EventLog[] = [];
    const sources: KafkaMessage[] = [];
    const dead: DeadLetter[] = [];
    const now = new Date();
    for (const message of chunk) {
      const decoded = decodeEnvelope(message.value);
      if (decoded.ok) {
        docs.push(toEventLog(decoded.envelope, this.config.retention, now));
        sources.push(message);
      } else dead.push({ message, reason: decoded.reason });
    }
    await this.deadLetter(topic, partition, dead);
    if (docs.length === 0) return;

    const result = await this.insertWithRetry(docs, topic, partition, payload);
    this.metrics.ingested.inc(result.inserted);
    this.metrics.duplicates.inc(result.duplicates);
    const rejected = result.rejected.map(({ index, reason }) => ({ message: sources[index], reason }));
    await this.deadLetter(topic, partition, rejected);
  }

  /** While MongoDB is down this holds the partition (no further fetches, nothing committed) with capped backoff. */
  private async insertWithRetry(
    docs: EventLog[],
    topic: string,
    partition: number,
    { heartbeat, isRunning }: EachBatchPayload,
  ): Promise<InsertResult> {
    for (let delay = 200; ; delay = Math.min(delay * 2, MAX_BACKOFF_MS)) {
      try {
        return await this.events.insertBatch(docs);
      } catch (error) {
        if (!isRunning())
          throw new Error('consumer stopping: chunk not written, offsets not committed', { cause: error });
        this.metrics.writeRetries.inc();
        this.logger.warn({ err: error, topic, partition, retryInMs: delay }, 'bulk insert failed; retrying');
        await sleepWithHeartbeats(delay, heartbeat, isRunning);
      }
    }
  }

  /** Poison messages keep their original bytes and say why and where from; the partition moves on. */
  private async deadLetter(topic: string, partition: number, dead: DeadLetter[]): Promise<void> {
    if (dead.length === 0) return;
    await this.kafka.producer.send({
      topic: deadLetterTopic(topic),
      acks: -1,
      messages: dead.map(({ message, reason }) => ({
        key: message.key,
        value: message.value,
        headers: {
          ...(message.headers as IHeaders),
          'x-dlq-reason': reason.slice(0, 1000),
          'x-dlq-original-topic': topic,
          'x-dlq-original-partition': String(partition),
          'x-dlq-original-offset': message.offset,
          'x-dlq-consumer-group': this.config.kafka.groupId,
        },
      })),
    });
    this.metrics.deadLettered.inc({ topic }, dead.length);
    this.logger.warn({ topic, partition, count: dead.length, reason: dead[0].reason }, 'dead-lettered messages');
  }
}

/** Waits out a backoff while keeping the group membership alive (a long outage must not cause a rebalance storm). */
async function sleepWithHeartbeats(ms: number, heartbeat: () => Promise<void>, isRunning: () => boolean) {
  const until = Date.now() + ms;
  while (Date.now() < until && isRunning()) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(HEARTBEAT_EVERY_MS, until - Date.now())));
    await heartbeat();
  }
}
