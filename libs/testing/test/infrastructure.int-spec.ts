// Proves each backend of this run is a real server, over real connections, and prints who provides it.
import { isMongoStandIn, mongoProvider } from '@taskflow/infra';
import { createScratchDatabase, requireRealMongo, uniqueName, waitFor } from '../src';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { Client } from 'pg';

const provider = (name: string) => process.env[`TASKFLOW_${name.toUpperCase()}_PROVIDER`] ?? 'env';

describe('infrastructure (real backends)', () => {
  it('PostgreSQL answers a query', async () => {
    const client = new Client({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: string }>('select version() as version');
      expect(rows[0].version).toMatch(/^PostgreSQL \d+/);
      console.log(`[infra-test] postgres provider=${provider('postgres')}: ${rows[0].version.split(',')[0]}`);
    } finally {
      await client.end();
    }
  });

  it('PostgreSQL scratch databases are created and dropped', async () => {
    const scratch = await createScratchDatabase('infra_test');
    const client = new Client({ connectionString: scratch.url });
    await client.connect();
    const { rows } = await client.query<{ db: string }>('select current_database() as db');
    await client.end();
    expect(rows[0].db).toBe(scratch.name);
    await scratch.drop();
  });

  it('Redis stores a key with a TTL', async () => {
    const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
    try {
      const key = uniqueName('infra-test');
      expect(await redis.set(key, 'value', 'EX', 30)).toBe('OK');
      expect(await redis.get(key)).toBe('value');
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(30);
      const info = await redis.info('server');
      console.log(`[infra-test] redis provider=${provider('redis')}: Redis ${/redis_version:(\S+)/.exec(info)?.[1]}`);
      await redis.del(key);
    } finally {
      redis.disconnect();
    }
  });

  it('Kafka delivers a produced message to a consumer on a fresh topic', async () => {
    const kafka = new Kafka({
      clientId: 'infra-test',
      brokers: process.env.KAFKA_BROKERS!.split(','),
      logLevel: logLevel.NOTHING,
    });
    const topic = uniqueName('infra-test');
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: uniqueName('infra-test-group') });
    try {
      expect(
        await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] }),
      ).toBe(true);
      const received: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void received.push(message.value!.toString()) });
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'entity-1', value: 'hello kafka' }] });
      await waitFor(() => received.length > 0, {
        timeoutMs: 30_000,
        description: 'the consumer to receive the message',
      });
      expect(received).toEqual(['hello kafka']);
      const cluster = await admin.describeCluster();
      console.log(
        `[infra-test] kafka provider=${provider('kafka')}: ${cluster.brokers.length} broker(s), topic ${topic}`,
      );
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  }, 60_000);

  it('MongoDB inserts and finds a document', async () => {
    const client = new MongoClient(process.env.MONGO_URL!, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    try {
      const collection = client.db('infra_test').collection(uniqueName('docs'));
      const { insertedId } = await collection.insertOne({ kind: 'probe', at: new Date() });
      const found = await collection.findOne({ _id: insertedId });
      expect(found?.kind).toBe('probe');
      await collection.drop();
      const info = await client.db('admin').command({ buildInfo: 1 });
      console.log(
        `[infra-test] mongo provider=${mongoProvider()}: ${isMongoStandIn() ? 'mongo-java-server stand-in' : 'mongod'} ${info.version}`,
      );
    } finally {
      await client.close();
    }
  });

  const skipTtl = requireRealMongo('TTL index deletes an expired document');
  (skipTtl ? it.skip : it)(
    'MongoDB TTL monitor deletes expired documents (real mongod only)',
    async () => {
      const client = new MongoClient(process.env.MONGO_URL!);
      await client.connect();
      try {
        const collection = client.db('infra_test').collection(uniqueName('ttl'));
        await collection.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
        await collection.insertOne({ expiresAt: new Date(Date.now() - 1000) });
        await waitFor(async () => (await collection.countDocuments()) === 0, { timeoutMs: 90_000, intervalMs: 1000 });
        await collection.drop();
      } finally {
        await client.close();
      }
    },
    120_000,
  );
});
