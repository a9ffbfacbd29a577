import { Admin, Kafka, KafkaConfig, logLevel, Producer } from 'kafkajs';
import type { Logger } from 'pino';

export interface PartitionOffsets {
  topic: string;
  partition: number;
  high: number;
  low: number;
  committed: number;
}

/** One kafkajs client per process: the ingest consumer and one producer (dead letters, system events). */
export class KafkaClients {
  readonly producer: Producer;

  private constructor(readonly kafka: Kafka) {
    this.producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  }

  /** `deadlines`: kafkajs `connectionTimeout` and `requestTimeout` (also bounds the health probe's admin call), ms. */
  static async connect(
    brokers: string[],
    clientId: string,
    logger: Logger,
    security: Pick<KafkaConfig, 'ssl' | 'sasl'>,
    deadlines: { connectionTimeoutMs: number; requestTimeoutMs: number },
  ): Promise<KafkaClients> {
    const kafka = new Kafka({
      clientId,
      brokers,
      ...security,
      connectionTimeout: deadlines.connectionTimeoutMs,
      requestTimeout: deadlines.requestTimeoutMs,
      logLevel: logLevel.WARN,
      logCreator: () => toPino(logger),
    });
    const clients = new KafkaClients(kafka);
    await clients.producer.connect();
    return clients;
  }

  private admin?: Admin;

  /** Health probe: asks the cluster for its brokers (rejects when none answers). */
  async ping(): Promise<void> {
    this.admin ??= this.kafka.admin({ retry: { retries: 0 } });
    await this.admin.connect();
    await this.admin.describeCluster();
  }

  /**
   * Per partition of `topics`: the high and low watermarks and the group's committed offset (the next
   * offset it will consume; -1 when it never committed). Rejects when no broker answers.
   */
  async partitionOffsets(groupId: string, topics: string[]): Promise<PartitionOffsets[]> {
    this.admin ??= this.kafka.admin({ retry: { retries: 0 } });
    await this.admin.connect();
    const admin = this.admin;
    const committed = await admin.fetchOffsets({ groupId, topics });
    const committedOf = new Map(
      committed.flatMap(({ topic, partitions }) =>
        partitions.map((p) => [`${topic}:${p.partition}`, Number(p.offset)]),
      ),
    );
    const watermarks = await Promise.all(
      topics.map(async (topic) => ({ topic, offsets: await admin.fetchTopicOffsets(topic) })),
    );
    return watermarks.flatMap(({ topic, offsets }) =>
      offsets.map(({ partition, high, low }) => ({
        topic,
        partition,
        high: Number(high),
        low: Number(low),
        committed: committedOf.get(`${topic}:${partition}`) ?? -1,
      })),
    );
  }

  /**
   * A fresh admin client for one operator action (dead letters, replay), to disconnect when done. Two retries
   * instead of kafkajs' five: with the broker down the action fails (503) within about three request timeouts.
   */
  operatorAdmin(): Admin {
    return this.kafka.admin({ retry: { retries: 2 } });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.producer.disconnect(), this.admin?.disconnect()]);
  }
}

/** kafkajs logs through pino, so its lines are JSON with the app name like every other line. */
function toPino(logger: Logger) {
  const child = logger.child({ component: 'kafkajs' });
  return ({ level, log }: { level: logLevel; log: { message: string } & Record<string, unknown> }) => {
    const { message, ...rest } = log;
    if (level <= logLevel.ERROR) child.error(rest, message);
    else if (level === logLevel.WARN) child.warn(rest, message);
    else child.debug(rest, message);
  };
}
