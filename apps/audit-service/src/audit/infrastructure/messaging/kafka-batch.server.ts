import { BaseRpcContext, CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { isObservable, lastValueFrom } from 'rxjs';

/** Handlers bound to this transport: `@EventPattern(topics, KAFKA_BATCH_TRANSPORT)`. */
export const KAFKA_BATCH_TRANSPORT = Symbol('KAFKA_BATCH');

const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 10_000;
const HEARTBEAT_EVERY_MS = 3_000;
/**
 * A member that died without leaving (SIGKILL, or every member after a broker restart) keeps its partitions
 * until its session expires, and the group waits for it: with 30 s the audit lag after a broker restart
 * passed the 60 s recovery bound (npm run test:faults). Heartbeats (every 3 s, also while a chunk is retried)
 * keep a live member well inside 10 s.
 */
const SESSION_TIMEOUT_MS = 10_000;

type KafkaBatchContextArgs = [topic: string, partition: number, heartbeat: () => Promise<void>];

/** What a handler learns about the chunk it was given. */
export class KafkaBatchContext extends BaseRpcContext<KafkaBatchContextArgs> {
  getTopic(): string {
    return this.args[0];
  }

  getPartition(): number {
    return this.args[1];
  }

  getHeartbeat(): () => Promise<void> {
    return this.args[2];
  }
}

export interface KafkaBatchServerOptions {
  kafka: Kafka;
  groupId: string;
  /** Most messages per handler call; a larger fetched batch is handled (and committed) in chunks. */
  chunkSize: number;
  partitionsConsumedConcurrently: number;
  /** A new group starts here; an audit log must not miss what was published before it existed. */
  fromBeginning: boolean;
  logger: Logger;
  /** Called when this member (re)joins the group: partitions may have moved, so per-partition caches are stale. */
  onGroupJoin?: () => void;
}

/**
 * A Nest transport for Kafka that hands event handlers a chunk of one partition's messages at once and
 * commits only after the handler has finished. The built-in ServerKafka runs kafkajs `eachMessage`: one
 * message per handler call, offsets committed on its own schedule.
 *
 * - Handlers are `@EventPattern(topic)` handlers; the consumer subscribes to every registered topic.
 *   They receive the raw `KafkaMessage[]` (no deserializer), so a poison message keeps its original bytes.
 * - A chunk's offsets are committed only after its handler resolved: a crash before that redelivers the chunk.
 * - A handler that fails is called again with the same chunk, with capped exponential backoff, while the
 *   partition waits (nothing further fetched, nothing committed) and heartbeats keep the group membership.
 *   Handlers reject only for failures worth retrying (the store is down): a bad message is theirs to
 *   dead-letter. The chunk is never skipped; a partition held too long shows up in ConsumerProgress.
 */
export class KafkaBatchServer extends Server implements CustomTransportStrategy {
  override readonly transportId = KAFKA_BATCH_TRANSPORT;
  /** Handler errors reach `handleChunk` (to be retried) instead of being logged and dropped by Nest. */
  override readonly propagatesEventHandlerErrors = true;
  private consumer?: Consumer;
  private connected = false;
  private crashed = false;
  /** Per `topic:partition` being handled: the Kafka timestamp (ms) of its oldest message not yet committed. */
  private readonly oldestHeld = new Map<string, number>();
  /** Test hook: return true to simulate a crash after a chunk was handled and before its offsets are committed. */
  crashAfterHandle?: () => boolean;

  constructor(private readonly options: KafkaBatchServerOptions) {
    super();
  }

  get isConnected(): boolean {
    return this.connected && !this.crashed;
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }

  on(): never {
    throw new Error('KafkaBatchServer has no events to listen to; use the status observable');
  }

  unwrap<T>(): T {
    if (!this.consumer) throw new Error('Not listening: call startAllMicroservices() first');
    return this.consumer as T;
  }

  /**
   * When the oldest message of `topic`/`partition` that this consumer holds but has not committed was
   * produced (Kafka timestamp, ms since the epoch); undefined when it holds none of that partition.
   */
  oldestUncommittedTimestamp(topic: string, partition: number): number | undefined {
    return this.oldestHeld.get(`${topic}:${partition}`);
  }

  private async start(): Promise<void> {
    const { kafka, groupId, logger, fromBeginning, partitionsConsumedConcurrently } = this.options;
    const topics = [...this.messageHandlers.keys()];
    if (topics.length === 0) throw new Error('KafkaBatchServer: no @EventPattern handler registered');
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, sessionTimeout: SESSION_TIMEOUT_MS });
    consumer.on(consumer.events.CONNECT, () => this.setConnected(true));
    consumer.on(consumer.events.DISCONNECT, () => this.setConnected(false));
    consumer.on(consumer.events.GROUP_JOIN, () => this.options.onGroupJoin?.());
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.setConnected(payload.restart);
      this._status$.next('crashed');
      logger.error({ err: payload.error, restart: payload.restart }, 'kafka consumer crashed');
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    logger.info({ groupId, topics }, 'kafka batch transport listening');
  }

  private setConnected(connected: boolean): void {
    this.connected = connected;
    this._status$.next(connected ? 'connected' : 'disconnected');
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    // After a simulated crash nothing is handled or committed; the short wait avoids a hot refetch loop.
    if (this.crashed) return new Promise((resolve) => setTimeout(resolve, 100));
    const handler = this.getHandlerByPattern(topic);
    if (!handler) throw new Error(`no handler for topic ${topic}`); // unreachable: we subscribe to handled topics
    const context = new KafkaBatchContext([topic, partition, heartbeat]);
    const key = `${topic}:${partition}`;
    try {
      for (let start = 0; start < batch.messages.length; start += this.options.chunkSize) {
        if (this.crashed || !isRunning() || isStale()) return;
        const chunk = batch.messages.slice(start, start + this.options.chunkSize);
        this.oldestHeld.set(key, Number(chunk[0].timestamp));
        if (!(await this.handleChunk(handler, chunk, context, payload))) return;
        if (this.crashAfterHandle?.()) {
          this.crashed = true;
          return;
        }
        const last = chunk[chunk.length - 1].offset;
        resolveOffset(last);
        try {
          await this.consumer?.commitOffsets([{ topic, partition, offset: (BigInt(last) + 1n).toString() }]);
          await heartbeat();
        } catch (error) {
          if (!lostMembership(error)) throw error;
          // Kicked out of the group (e.g. heartbeats starved on a loaded machine): kafkajs reports the commit as
          // non-retriable and would stop the consumer for good. The chunk is stored; its next owner gets it again
          // (the unique eventId index absorbs it), and the runner rejoins the group on its next request.
          this.options.logger.warn({ err: error, topic, partition }, 'group membership lost; offsets not committed');
          return;
        }
      }
    } finally {
      this.oldestHeld.delete(key);
    }
  }

  /**
   * Calls the handler until it succeeds; while it fails the partition is held with capped backoff.
   * Returns false when the consumer stops or loses the partition first: the chunk stays uncommitted.
   */
  private async handleChunk(
    handler: MessageHandler,
    chunk: KafkaMessage[],
    context: KafkaBatchContext,
    { heartbeat, isRunning, isStale }: EachBatchPayload,
  ): Promise<boolean> {
    for (let delay = FIRST_RETRY_MS; ; delay = Math.min(delay * 2, MAX_RETRY_MS)) {
      try {
        const result = await handler(chunk, context);
        if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
        return true;
      } catch (error) {
        if (!isRunning() || isStale()) {
          this.options.logger.warn({ err: error }, 'consumer stopping: chunk not handled, offsets not committed');
          return false;
        }
        this.options.logger.warn(
          { err: error, topic: context.getTopic(), partition: context.getPartition(), retryInMs: delay },
          'handler failed; retrying the chunk',
        );
        await sleepWithHeartbeats(delay, heartbeat, isRunning);
      }
    }
  }
}

const MEMBERSHIP_ERRORS = new Set(['UNKNOWN_MEMBER_ID', 'REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION']);

/** Whether a kafkajs error (or the protocol error it wraps) says this member is no longer in the group. */
function lostMembership(error: unknown): boolean {
  for (let cause = error as { type?: string; cause?: unknown } | undefined; cause; cause = cause.cause as never) {
    if (cause.type && MEMBERSHIP_ERRORS.has(cause.type)) return true;
  }
  return false;
}

/** Waits out a backoff while keeping the group membership alive (a long outage must not cause a rebalance storm). */
async function sleepWithHeartbeats(ms: number, heartbeat: () => Promise<void>, isRunning: () => boolean) {
  const until = Date.now() + ms;
  while (Date.now() < until && isRunning()) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(HEARTBEAT_EVERY_MS, until - Date.now())));
    await heartbeat();
  }
}
