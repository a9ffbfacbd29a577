import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import {
  CommonErrorCodes,
  Events,
  FieldError,
  parseDateTime,
  ReplayProgress,
  StartReplayRequest,
} from '@taskflow/contracts';
import { AppError, databaseUnavailable } from '@taskflow/nest-kit';
import { KafkaMessage } from 'kafkajs';
import type { Connection } from 'mongoose';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AuditConfig } from '../../../config/audit.config';
import { AUDIT_CONFIG, LOGGER } from '../../tokens';
import { databaseOf } from '../persistence/mongo-connection';
import { MongoConnector } from '../persistence/mongo-connector';
import { AuditEventPublisher } from './audit-event-publisher';
import { EventIngest } from './event-ingest';
import { KafkaClients } from './kafka-clients';
import { PartitionRange, readPartitionRanges } from './partition-reader';

/** Where replay progress is kept, so any instance answers `GET …/replay/{id}`. */
export const REPLAY_RUNS_COLLECTION = 'replay_runs';
/** A chunk the store refuses for a storage reason is retried this many times before the replay fails. */
const STORAGE_ATTEMPTS = 5;
const FIRST_RETRY_MS = 500;

type RunDocument = Omit<ReplayProgress, 'replayId'> & { _id: string; updatedAt: string };

/**
 * Replays the subscribed topics from a point in time into event_logs: the start offsets come from the
 * brokers' time index (ListOffsets by timestamp), the ends are the high watermarks when the replay starts
 * (or the offsets of `to`). A temporary consumer group reads those ranges and hands each batch to the SAME
 * EventIngest as the live consumer (decode, validate, dead-letter, bulk insert), so an event already stored is
 * absorbed by the unique eventId index and only missing ones are added. A message that was poison stays
 * poison and is dead-lettered again. Progress lives in `replay_runs`; `audit.replay.started` and
 * `audit.replay.completed` record who ran it and what it did.
 */
@Injectable()
export class ReplayRunner implements OnApplicationShutdown {
  private readonly running = new Map<string, { stop: AbortController; done: Promise<void> }>();

  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    private readonly kafka: KafkaClients,
    private readonly ingest: EventIngest,
    private readonly publisher: AuditEventPublisher,
    private readonly store: MongoConnector,
    @Inject(getConnectionToken()) private readonly connection: Connection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Validates the window (400 naming the field), resolves the offsets, records and announces the run, and
   * starts reading in the background. Resolves to the run as started. Kafka or MongoDB unavailable: 503.
   */
  async start(request: StartReplayRequest, actorId: string): Promise<ReplayProgress> {
    const from = parseDateTime(request.from)!;
    const to = request.to === undefined ? undefined : parseDateTime(request.to)!;
    const topics = request.topics ?? this.config.kafka.topics;
    const problems: FieldError[] = [];
    if (to && to <= from) problems.push({ field: 'to', reason: 'must be after from' });
    topics.forEach((topic, i) => {
      if (!this.config.kafka.topics.includes(topic)) {
        problems.push({ field: `topics.${i}`, reason: `must be one of ${this.config.kafka.topics.join(', ')}` });
      }
    });
    if (new Set(topics).size !== topics.length) problems.push({ field: 'topics', reason: 'each topic at most once' });
    if (problems.length > 0)
      throw new AppError('validation', CommonErrorCodes.validation, 'The request is invalid.', problems);
    this.store.assertReady();

    const ranges = await this.unavailableOnFailure(() => this.rangesOf(topics, from, to));
    const replayId = randomUUID();
    const run: ReplayProgress = {
      replayId,
      status: 'running',
      from: from.toISOString(),
      to: to?.toISOString() ?? null,
      topics,
      partitions: ranges.map((r) => ({
        topic: r.topic,
        partition: r.partition,
        startOffset: r.from.toString(),
        endOffset: r.to.toString(),
        nextOffset: r.from.toString(),
      })),
      messages: ranges.reduce((sum, r) => sum + Number(r.to - r.from), 0),
      read: 0,
      stored: 0,
      duplicates: 0,
      deadLettered: 0,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      error: null,
      actorId,
    };
    await this.save(run).catch((error) => {
      this.logger.warn({ err: error }, 'replay not started: MongoDB unavailable');
      throw databaseUnavailable();
    });
    await this.unavailableOnFailure(() =>
      this.publisher.publish(Events.AuditReplayStarted, {
        actorId,
        entityId: replayId,
        payload: { replayId, from: run.from, ...(run.to && { to: run.to }), topics, messages: run.messages },
      }),
    );
    const stop = new AbortController();
    const done = this.run(run, ranges, stop.signal).finally(() => this.running.delete(replayId));
    this.running.set(replayId, { stop, done });
    return run;
  }

  /** The run's progress; 404 when no replay has this id. */
  async progress(replayId: string): Promise<ReplayProgress> {
    this.store.assertReady();
    const found = await this.runs().findOne({ _id: replayId }, { maxTimeMS: this.config.mongo.queryTimeoutMs });
    if (!found) throw new AppError('not_found', 'AUDIT.REPLAY_NOT_FOUND', `No replay ${replayId}.`);
    const { _id, updatedAt: _updatedAt, ...rest } = found;
    return { replayId: _id, ...rest };
  }

  /** At shutdown a running replay stops and is recorded as failed: start a new one (it is idempotent). */
  async onApplicationShutdown(): Promise<void> {
    for (const { stop } of this.running.values()) stop.abort();
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  private async rangesOf(topics: string[], from: Date, to: Date | undefined): Promise<PartitionRange[]> {
    const admin = this.kafka.operatorAdmin();
    await admin.connect();
    try {
      const ranges: PartitionRange[] = [];
      for (const topic of topics) {
        const [watermarks, starts, ends] = await Promise.all([
          admin.fetchTopicOffsets(topic),
          admin.fetchTopicOffsetsByTimestamp(topic, from.getTime()),
          to ? admin.fetchTopicOffsetsByTimestamp(topic, to.getTime()) : Promise.resolve(undefined),
        ]);
        for (const { partition, low, high } of watermarks.sort((a, b) => a.partition - b.partition)) {
          const start = BigInt(starts.find((s) => s.partition === partition)!.offset);
          const end = BigInt(ends?.find((e) => e.partition === partition)?.offset ?? high);
          const clampedStart = start < BigInt(low) ? BigInt(low) : start;
          const clampedEnd = end > BigInt(high) ? BigInt(high) : end;
          ranges.push({
            topic,
            partition,
            from: clampedStart,
            to: clampedEnd < clampedStart ? clampedStart : clampedEnd,
          });
        }
      }
      return ranges;
    } finally {
      await admin.disconnect();
    }
  }

  private async run(run: ReplayProgress, ranges: PartitionRange[], signal: AbortSignal): Promise<void> {
    // Progress saves one after the other, so a late one never overwrites the final state.
    let saved = Promise.resolve();
    const saveInOrder = () => (saved = saved.then(() => this.save(run)).catch(() => undefined));
    this.logger.info({ replayId: run.replayId, from: run.from, to: run.to, messages: run.messages }, 'replay started');
    try {
      await readPartitionRanges(
        this.kafka.kafka,
        ranges,
        async (topic, partition, messages, heartbeat) => {
          for (let start = 0; start < messages.length; start += this.config.kafka.batchSize) {
            const chunk = messages.slice(start, start + this.config.kafka.batchSize);
            const result = await this.ingestWithRetries(topic, partition, chunk, heartbeat, signal);
            run.read += chunk.length;
            run.stored += result.stored;
            run.duplicates += result.duplicates + result.conflicts;
            run.deadLettered += result.deadLettered;
          }
          return true;
        },
        {
          groupId: `${this.config.kafka.groupId}.replay.${run.replayId}`,
          signal,
          onProgress: (topic, partition, next) => {
            const entry = run.partitions.find((p) => p.topic === topic && p.partition === partition);
            if (entry) entry.nextOffset = next.toString();
            void saveInOrder();
          },
        },
      );
      run.status = 'completed';
    } catch (error) {
      run.status = 'failed';
      run.error = signal.aborted ? 'stopped by shutdown: start a new replay' : String(error);
      this.logger.error({ err: error, replayId: run.replayId }, 'replay failed');
    }
    run.finishedAt = new Date().toISOString();
    await saved;
    await this.save(run).catch((error) =>
      this.logger.error({ err: error, replayId: run.replayId }, 'replay not saved'),
    );
    this.logger.info(
      { replayId: run.replayId, status: run.status, read: run.read, stored: run.stored },
      'replay ended',
    );
    await this.publisher
      .publish(Events.AuditReplayCompleted, {
        actorId: run.actorId,
        entityId: run.replayId,
        payload: {
          replayId: run.replayId,
          status: run.status === 'completed' ? 'completed' : 'failed',
          read: run.read,
          stored: run.stored,
          duplicates: run.duplicates,
          deadLettered: run.deadLettered,
          ...(run.error && { error: run.error.slice(0, 1000) }),
        },
      })
      .catch((error) =>
        this.logger.error({ err: error, replayId: run.replayId }, 'audit.replay.completed not published'),
      );
  }

  /** EventIngest rejects only for storage failures: retried with backoff, then the replay fails. */
  private async ingestWithRetries(
    topic: string,
    partition: number,
    chunk: KafkaMessage[],
    heartbeat: () => Promise<void>,
    signal: AbortSignal,
  ) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.ingest.ingest(topic, partition, chunk);
      } catch (error) {
        if (attempt >= STORAGE_ATTEMPTS || signal.aborted) throw error;
        await new Promise((resolve) => setTimeout(resolve, FIRST_RETRY_MS * 2 ** (attempt - 1)));
        await heartbeat();
      }
    }
  }

  private runs() {
    return databaseOf(this.connection).collection<RunDocument>(REPLAY_RUNS_COLLECTION);
  }

  private async save(run: ReplayProgress): Promise<void> {
    const { replayId, ...rest } = run;
    await this.runs().replaceOne(
      { _id: replayId },
      { ...rest, updatedAt: new Date().toISOString() },
      { upsert: true, maxTimeMS: this.config.mongo.queryTimeoutMs },
    );
  }

  private async unavailableOnFailure<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof AppError) throw error;
      this.logger.warn({ err: error }, 'replay not started: Kafka unavailable');
      throw new AppError('unavailable', 'AUDIT.KAFKA_UNAVAILABLE', `Kafka did not answer: ${String(error)}. Retry.`);
    }
  }
}
