import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

export const BASE_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** Creates an empty database only this suite uses; `drop` removes it (and only it). */
export async function createScratchDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = uniqueName(prefix).toLowerCase();
  const admin = new Client({ connectionString: withDatabase(BASE_DATABASE_URL, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  return {
    url: withDatabase(BASE_DATABASE_URL, name),
    async drop() {
      const client = new Client({ connectionString: withDatabase(BASE_DATABASE_URL, 'postgres') });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function createTopic(topic: string, partitions = 3): Promise<void> {
  const admin = new Kafka({ clientId: 'outbox-test', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();
}

export async function deleteTopic(topic: string): Promise<void> {
  const admin = new Kafka({ clientId: 'outbox-test', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
}

export interface Received {
  key: string;
  eventId: string;
  headers: Record<string, string>;
}

/** Reads a topic from the beginning with a fresh consumer group until `expected` messages plus a quiet period. */
export async function consumeAll(topic: string, expected: number, quietMs = 1500, timeoutMs = 30_000) {
  const kafka = new Kafka({ clientId: 'outbox-test', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: uniqueName('outbox-test') });
  const received: Received[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
      );
      const envelope = JSON.parse(String(message.value));
      received.push({ key: String(message.key), eventId: envelope.eventId, headers });
    },
  });
  const started = Date.now();
  while (received.length < expected && Date.now() - started < timeoutMs) await sleep(100);
  await sleep(quietMs);
  await consumer.disconnect();
  return received;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
