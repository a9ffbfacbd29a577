import { ALL_TOPICS, deadLetterTopic } from '@taskflow/contracts';
import { Kafka, logLevel } from 'kafkajs';
import { intEnv } from './config';
import { parseKafkaBrokers } from './probes';

export interface TopicOptions {
  partitions?: number;
  replicationFactor?: number;
}

/** Every topic the system uses: the domain topics and their dead-letter topics. */
export function systemTopics(): string[] {
  return ALL_TOPICS.flatMap((topic) => [topic, deadLetterTopic(topic)]);
}

/**
 * Creates the missing topics explicitly (brokers run with auto.create.topics.enable=false). Partitions
 * default to KAFKA_TOPIC_PARTITIONS (3), replication to KAFKA_TOPIC_REPLICATION (1). Returns the topics created.
 */
export async function ensureKafkaTopics(
  brokers: string | string[],
  topics: readonly string[] = systemTopics(),
  options: TopicOptions = {},
): Promise<string[]> {
  const list = Array.isArray(brokers) ? brokers : parseKafkaBrokers('KAFKA_BROKERS', brokers);
  const numPartitions = options.partitions ?? intEnv('KAFKA_TOPIC_PARTITIONS', 3, 1, 10_000);
  const replicationFactor = options.replicationFactor ?? intEnv('KAFKA_TOPIC_REPLICATION', 1, 1, 100);
  const kafka = new Kafka({
    clientId: 'taskflow-bootstrap',
    brokers: list,
    logLevel: logLevel.NOTHING,
    retry: { retries: 5 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({ topic, numPartitions, replicationFactor })),
    });
    return missing;
  } finally {
    await admin.disconnect();
  }
}
