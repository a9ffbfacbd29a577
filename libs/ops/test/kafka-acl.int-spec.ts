import { ALL_TOPICS, deadLetterTopic, Topics } from '@taskflow/contracts';
import { KafkaCredential } from '@taskflow/infra';
import { uniqueName } from '@taskflow/testing';
import { Admin, Kafka, logLevel, Producer } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { AUDIT_CONSUMER_GROUP_PREFIX, KAFKA_ADMIN_PRINCIPAL, KAFKA_PRINCIPALS } from '../src/kafka/acls';
import { runKafkaTopicsJob } from './support/kafka-topics-job';
import { PrivateBackend, startPrivateSaslKafka } from './support/private-backends';

// A private broker secured as docker compose and Kubernetes run theirs (SASL/SCRAM-SHA-512, StandardAuthorizer,
// allow.everyone.if.no.acl.found=false, only the admin's SCRAM credential at format time). The Kubernetes topics
// Job's own script then creates the service users and applies the ACL table of libs/ops/src/kafka/acls.ts with the
// real kafka-configs/kafka-acls tools (docker-compose.spec.ts / k8s-manifests.spec.ts check that compose and k8s
// carry that table). The shared development broker stays open.

jest.setTimeout(180_000);

const password = () => randomBytes(18).toString('base64url');
const admin: KafkaCredential = { username: KAFKA_ADMIN_PRINCIPAL, password: password() };
const users = Object.fromEntries(
  Object.entries(KAFKA_PRINCIPALS).map(([key, p]) => [key, { username: p.name, password: password() }]),
) as Record<keyof typeof KAFKA_PRINCIPALS, KafkaCredential>;

describe('Kafka authentication and ACLs (private SASL/SCRAM broker)', () => {
  let broker: PrivateBackend;
  const clients: (Admin | Producer | { disconnect(): Promise<void> })[] = [];

  const kafka = (credential?: KafkaCredential) =>
    new Kafka({
      clientId: 'acl-test',
      brokers: [broker.url],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 10_000, // generous: the suite may share two cores with JVMs
      requestTimeout: 10_000,
      retry: { retries: 5, initialRetryTime: 200 },
      ...(credential ? { sasl: { mechanism: 'scram-sha-512', ...credential } } : {}),
    });
  /** A connected idempotent producer, as KafkaPublisher and the backup events use. */
  const producerOf = async (credential: KafkaCredential) => {
    const producer = kafka(credential).producer({
      allowAutoTopicCreation: false,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    clients.push(producer);
    await producer.connect();
    return producer;
  };
  const send = (producer: Producer, topic: string, value = 'x') =>
    producer.send({ topic, acks: -1, messages: [{ key: 'k', value }] });
  /** kafkajs wraps the broker's TOPIC_AUTHORIZATION_FAILED in a non-retriable error carrying its message. */
  const refused = /Not authorized to access topics: \[Topic authorization failed\]/;
  const adminOf = async (credential: KafkaCredential) => {
    const client = kafka(credential).admin();
    clients.push(client);
    await client.connect();
    return client;
  };

  beforeAll(async () => {
    broker = await startPrivateSaslKafka({ admin });
    const root = await adminOf(admin);
    const topics = [...ALL_TOPICS, ...ALL_TOPICS.map(deadLetterTopic)];
    await root.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 1 })) });
    const topicCalls = runKafkaTopicsJob(broker.url, {
      KAFKA_ADMIN_PASSWORD: admin.password,
      ...Object.fromEntries(
        Object.entries(KAFKA_PRINCIPALS).map(([key, p]) => [p.passwordVar, users[key as keyof typeof users].password]),
      ),
    });
    expect(topicCalls.map((call) => /--topic (\S+)/.exec(call)?.[1]).sort()).toEqual([...topics].sort());
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.disconnect().catch(() => undefined)));
    await broker?.dispose();
  });

  it('refuses a client without credentials', async () => {
    const client = kafka().admin();
    clients.push(client);
    // A SASL listener closes the connection on the first request that is not a SASL handshake.
    await expect(client.connect().then(() => client.listTopics())).rejects.toMatchObject({
      name: 'KafkaJSConnectionClosedError',
    });
  });

  it('refuses a wrong password', async () => {
    const client = kafka({ username: users.taskService.username, password: 'not-the-password' }).admin();
    clients.push(client);
    await expect(client.connect()).rejects.toMatchObject({ name: 'KafkaJSSASLAuthenticationError' });
  });

  it("lets every principal run the services' health probe (describeCluster) without a cluster ACL", async () => {
    for (const credential of Object.values(users)) {
      const client = await adminOf(credential);
      await expect(client.describeCluster()).resolves.toMatchObject({ brokers: [expect.anything()] });
    }
  });

  it('lets task-service write its own topic only', async () => {
    const producer = await producerOf(users.taskService);
    await expect(send(producer, Topics.task)).resolves.toEqual([expect.objectContaining({ errorCode: 0 })]);
    await expect(send(producer, Topics.user)).rejects.toThrow(refused);
    await expect(send(producer, deadLetterTopic(Topics.task))).rejects.toThrow(refused);
  });

  it('lets user-service and the backup jobs write their own topics, and neither read the audit topic', async () => {
    const userService = await producerOf(users.userService);
    await expect(send(userService, Topics.user)).resolves.toHaveLength(1);
    await expect(send(userService, Topics.audit)).rejects.toThrow(refused);
    const backup = await producerOf(users.backup);
    await expect(send(backup, Topics.system)).resolves.toHaveLength(1);
    await expect(send(backup, Topics.task)).rejects.toThrow(refused);

    const reader = await adminOf(users.userService);
    await expect(reader.fetchTopicOffsets(Topics.audit)).rejects.toThrow(refused);
    const consumer = kafka(users.userService).consumer({ groupId: uniqueName(AUDIT_CONSUMER_GROUP_PREFIX) });
    clients.push(consumer);
    await consumer.connect();
    await expect(consumer.subscribe({ topics: [Topics.audit], fromBeginning: true })).rejects.toThrow(refused);
  });

  it('lets audit-service consume all four topics, write dead letters and its own events, and purge a .dlq', async () => {
    const audit = await producerOf(users.auditService);
    const marker = uniqueName('acl');
    // The four producers' topics (one each, by their own principals) plus audit-service's own.
    await send(await producerOf(users.taskService), Topics.task, marker);
    await send(await producerOf(users.userService), Topics.user, marker);
    await send(await producerOf(users.backup), Topics.system, marker);
    await send(audit, Topics.audit, marker);
    await send(audit, Topics.system, marker);
    for (const topic of ALL_TOPICS) await expect(send(audit, deadLetterTopic(topic), marker)).resolves.toHaveLength(1);

    const consumer = kafka(users.auditService).consumer({ groupId: `${AUDIT_CONSUMER_GROUP_PREFIX}.replay.${marker}` });
    clients.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [...ALL_TOPICS, ...ALL_TOPICS.map(deadLetterTopic)], fromBeginning: true });
    const seen = new Set<string>();
    const done = new Promise<void>((resolve, reject) => {
      // kafkajs restarts the consumer after a retriable crash; only a final one fails the test.
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) reject(payload.error);
      });
      void consumer.run({
        eachMessage: async ({ topic, message }) => {
          if (message.value?.toString() === marker) seen.add(topic);
          if (seen.size === 2 * ALL_TOPICS.length) resolve();
        },
      });
    });
    await done;
    expect([...seen].sort()).toEqual([...ALL_TOPICS, ...ALL_TOPICS.map(deadLetterTopic)].sort());
    await consumer.disconnect();

    // DeleteRecords (DELETE on the topic) on a dead-letter topic, not on an original one.
    const auditAdmin = await adminOf(users.auditService);
    const dlq = deadLetterTopic(Topics.task);
    await auditAdmin.fetchTopicMetadata({ topics: [dlq, Topics.task] });
    await auditAdmin.deleteTopicRecords({ topic: dlq, partitions: [{ partition: 0, offset: '-1' }] });
    const [after] = await auditAdmin.fetchTopicOffsets(dlq);
    expect(after.low).toBe(after.high);
    await expect(
      auditAdmin.deleteTopicRecords({ topic: Topics.task, partitions: [{ partition: 0, offset: '-1' }] }),
    ).rejects.toThrow();
  });

  it('gives audit-service its own consumer groups (offsets, lag) and no other', async () => {
    const auditAdmin = await adminOf(users.auditService);
    await expect(
      auditAdmin.fetchOffsets({
        groupId: `${AUDIT_CONSUMER_GROUP_PREFIX}.dead-letters.${uniqueName('x')}`,
        topics: [Topics.task],
      }),
    ).resolves.toHaveLength(1);
    await expect(
      auditAdmin.fetchOffsets({ groupId: uniqueName('someone-else'), topics: [Topics.task] }),
      // FindCoordinator answers GROUP_AUTHORIZATION_FAILED, which kafkajs reports as no coordinator found.
    ).rejects.toThrow('Failed to find group coordinator');
  });
});
