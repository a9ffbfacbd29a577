import { Kafka, KafkaMessage } from 'kafkajs';

/** Offsets `[from, to)` of one partition. Offsets are Kafka int64s, handled as bigint. */
export interface PartitionRange {
  topic: string;
  partition: number;
  from: bigint;
  to: bigint;
}

/**
 * Receives the messages of one range in offset order, one fetched batch at a time (only offsets inside the
 * range). Resolves to false to stop reading that partition early. A rejection stops the whole read.
 */
export type RangeHandler = (
  topic: string,
  partition: number,
  messages: KafkaMessage[],
  heartbeat: () => Promise<void>,
) => Promise<boolean>;

export interface ReadOptions {
  /** A throwaway consumer group, unique per read; nothing is committed under it. */
  groupId: string;
  /** Reject (and stop) when the ranges are not read within this many ms; none when absent. */
  deadlineMs?: number;
  /** Called with the next offset of a range after each handled batch (progress reports). */
  onProgress?: (topic: string, partition: number, nextOffset: bigint) => void;
  /** Aborting stops the read (it rejects with a PartitionReadError). */
  signal?: AbortSignal;
}

/** The read stopped before every range was read (deadline, consumer crash, handler failure). */
export class PartitionReadError extends Error {}

/**
 * Reads each range once with a temporary consumer group (kafkajs has no manual assignment) that seeks to the
 * ranges' starts and never commits, so the broker forgets the group once it leaves. Partitions of the subscribed
 * topics outside `ranges` are ignored. Resolves when every range is read to its end or stopped by its handler.
 * (`admin.setOffsets` would avoid the seek but waits for a 5 s fetch of its own.)
 */
export async function readPartitionRanges(
  kafka: Kafka,
  ranges: PartitionRange[],
  handle: RangeHandler,
  options: ReadOptions,
): Promise<void> {
  const open = new Map(ranges.filter((r) => r.from < r.to).map((r) => [`${r.topic}:${r.partition}`, { ...r }]));
  if (open.size === 0) return;
  const topics = [...new Set([...open.values()].map((r) => r.topic))];
  const consumer = kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: 10_000,
    maxWaitTimeInMs: 500,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    let settle!: { resolve: () => void; reject: (error: Error) => void };
    const finished = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    if (options.deadlineMs !== undefined) {
      const deadline = options.deadlineMs;
      timer = setTimeout(() => settle.reject(new PartitionReadError(`not read within ${deadline} ms`)), deadline);
    }
    options.signal?.addEventListener('abort', () => settle.reject(new PartitionReadError('read stopped')), {
      once: true,
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) settle.reject(new PartitionReadError(`consumer crashed: ${String(payload.error)}`));
    });
    await consumer.connect();
    // From the beginning, then a seek per range: a batch fetched before a seek took effect starts at or before
    // the range, and is trimmed below.
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        const key = `${batch.topic}:${batch.partition}`;
        const range = open.get(key);
        if (!range) return;
        // Offsets below `from` are before the range or already handled (`from` moves on with each batch).
        const inRange = batch.messages.filter((m) => BigInt(m.offset) >= range.from && BigInt(m.offset) < range.to);
        let more = true;
        if (inRange.length > 0) {
          try {
            more = await handle(batch.topic, batch.partition, inRange, heartbeat);
          } catch (error) {
            settle.reject(error as Error);
            return;
          }
        }
        const last = batch.messages.at(-1);
        if (last && BigInt(last.offset) >= range.from) range.from = BigInt(last.offset) + 1n;
        options.onProgress?.(range.topic, range.partition, range.from < range.to ? range.from : range.to);
        if (!more || range.from >= range.to) {
          open.delete(key);
          consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
          if (open.size === 0) settle.resolve();
        }
      },
    });
    for (const range of open.values()) {
      consumer.seek({ topic: range.topic, partition: range.partition, offset: range.from.toString() });
    }
    await finished;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
}
