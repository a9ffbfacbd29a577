import { EventSigningKey, loadEventSigningKey } from '@taskflow/config';
import { createEnvelope, deadLetterTopic, EventEnvelope, Topics, Events } from '@taskflow/contracts';
import type { EventKeysEnv } from '@taskflow/infra';
import { signEnvelope } from '@taskflow/messaging-kafka';
import { deeplyNestedEvent, signedMessage, TaskflowSystem, uniqueName, waitFor } from '@taskflow/testing';
import { Kafka, KafkaMessage, logLevel, Message } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { runScenario, ScenarioResult } from './scenario';

/** One message put straight onto the system's Kafka, and the dead-letter code audit-service must give it. */
interface Injected {
  topic: string;
  eventId: string;
  expectedCode: string;
  message: Message;
}

export interface InjectedEventsResult extends ScenarioResult {
  injected: { eventId: string; topic: string; expectedCode: string }[];
  /** Injected events found in event_logs (must be none). */
  stored: string[];
  /** Dead-letter code per injected eventId, as found on `<topic>.dlq` (x-dlq-error-code). */
  deadLettered: Record<string, string>;
}

export interface PoisonMessageResult extends InjectedEventsResult {
  /** The genuine event published right after the poison, same key (so same partition). */
  nextEventId: string;
  /** Publish → the next event is in event_logs, ms (undefined: never). */
  nextStoredMs?: number;
  /** audit-service /health/ready answers sampled while the poison was being handled (HTTP status). */
  readiness: number[];
  /** taskflow_kafka_consumer_lag of the task topic (all partitions) once the next event was stored. */
  lagAfter?: number;
}

const producerKey = (keys: EventKeysEnv, name: string): EventSigningKey =>
  loadEventSigningKey(keys.producers[name] as unknown as Record<string, string>);

function taskCreated(actorId: string): EventEnvelope {
  const id = randomUUID();
  return createEnvelope(Events.TaskCreated, {
    actorId,
    entityId: id,
    payload: {
      task: {
        id,
        title: 'forged',
        description: null,
        status: 'todo',
        priority: 'high',
        assigneeId: null,
        creatorId: actorId,
        dueDate: null,
        completedAt: null,
        deletedAt: null,
        version: 1,
      },
    },
  });
}

function roleChange(actorId: string): EventEnvelope {
  const userId = randomUUID();
  return createEnvelope(Events.UserRoleChanged, {
    actorId,
    entityId: userId,
    payload: { userId, from: 'user', to: 'admin' },
  });
}

/**
 * The forgeries of issue 13, each a `task.created` of the load's user (so one that got stored would also show
 * as an "unexpected" audit event) or a `user.role_changed` "by" that user: unsigned, signed by an unknown key,
 * signed by a genuine producer key on a topic it may not sign, a genuine signature over edited bytes, and a
 * genuine signature on an event of another topic's type.
 */
export function forgeries(keys: EventKeysEnv, userId: string): Injected[] {
  const task = producerKey(keys, 'task-service');
  const user = producerKey(keys, 'user-service');
  const attacker = {
    keyId: `attacker-${randomUUID().slice(0, 8)}`,
    privateKey: generateKeyPairSync('ed25519').privateKey,
  };
  const make = (topic: string, envelope: EventEnvelope, expectedCode: string, message: Omit<Message, 'key'>) => ({
    topic,
    eventId: envelope.eventId,
    expectedCode,
    message: { key: envelope.entityId, ...message },
  });
  const unsigned = taskCreated(userId);
  const unknown = taskCreated(userId);
  const otherKey = taskCreated(userId);
  const edited = taskCreated(userId);
  const signedEdited = signEnvelope(edited, task);
  const editedBytes = Buffer.from(signedEdited.value.toString().replace('"priority":"high"', '"priority":"low"'));
  const misplaced = taskCreated(userId);
  const unsignedRole = roleChange(userId);
  const taskKeyRole = roleChange(userId);
  return [
    make(Topics.task, unsigned, 'unsigned', { value: JSON.stringify(unsigned) }),
    make(Topics.task, unknown, 'unknown-key', signEnvelope(unknown, attacker)),
    make(Topics.task, otherKey, 'key-not-allowed', signEnvelope(otherKey, user)),
    make(Topics.task, edited, 'bad-signature', { ...signedEdited, value: editedBytes }),
    make(Topics.user, misplaced, 'wrong-topic', signEnvelope(misplaced, user)),
    make(Topics.user, unsignedRole, 'unsigned', { value: JSON.stringify(unsignedRole) }),
    make(Topics.user, taskKeyRole, 'key-not-allowed', signEnvelope(taskKeyRole, task)),
  ];
}

async function publish(brokers: string, injected: Injected[]): Promise<void> {
  const producer = new Kafka({
    clientId: 'faults-injector',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
  }).producer();
  await producer.connect();
  try {
    for (const { topic, message } of injected) await producer.send({ topic, acks: -1, messages: [message] });
  } finally {
    await producer.disconnect();
  }
}

/** Which of `eventIds` are in event_logs. */
async function storedOf(mongoUrl: string, eventIds: string[]): Promise<string[]> {
  const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 3000 });
  try {
    await client.connect();
    const docs = await client
      .db()
      .collection('event_logs')
      .find({ eventId: { $in: eventIds } }, { projection: { eventId: 1 } })
      .toArray();
    return docs.map((doc) => doc.eventId as string);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** The x-dlq-error-code of each injected message found on its topic's dead-letter topic (by event id). */
async function deadLetterCodes(brokers: string, injected: Injected[]): Promise<Record<string, string>> {
  const kafka = new Kafka({ clientId: 'faults-dlq-reader', brokers: [brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: uniqueName('faults-dlq-reader') });
  const wanted = new Set(injected.map((i) => i.eventId));
  const codes: Record<string, string> = {};
  const eventIdOf = (message: KafkaMessage) => {
    const match = /"eventId":"([0-9a-f-]{36})"/.exec(message.value?.toString('utf8', 0, 2000) ?? '');
    return match?.[1];
  };
  await consumer.connect();
  try {
    const topics = [...new Set(injected.map((i) => deadLetterTopic(i.topic)))];
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const eventId = eventIdOf(message);
        if (eventId && wanted.has(eventId)) codes[eventId] = message.headers?.['x-dlq-error-code']?.toString() ?? '';
      },
    });
    await waitFor(() => Object.keys(codes).length === wanted.size, {
      timeoutMs: 60_000,
      description: 'every injected message on its dead-letter topic',
    }).catch(() => undefined); // the caller's assertion names what is missing
  } finally {
    await consumer.disconnect();
  }
  return codes;
}

function summary(injected: Injected[]) {
  return injected.map(({ eventId, topic, expectedCode }) => ({ eventId, topic, expectedCode }));
}

/** Forged events injected onto the user and task topics mid-load (see `forgeries`). */
export async function runForgedProducer(system: TaskflowSystem): Promise<InjectedEventsResult> {
  let injected: Injected[] = [];
  const result = await runScenario(system, 'forged producer', {
    inject: async ({ userId }) => {
      injected = forgeries(system.eventKeys, userId);
      await publish(system.backends.kafka.url, injected);
    },
    durationMs: 1_000,
    remove: async () => undefined,
  });
  const eventIds = injected.map((i) => i.eventId);
  return {
    ...result,
    injected: summary(injected),
    stored: await storedOf(system.auditMongoUrl, eventIds),
    deadLettered: await deadLetterCodes(system.backends.kafka.url, injected),
  };
}

async function topicLag(managementUrl: string, topic: string): Promise<number | undefined> {
  const text = await (await fetch(`${managementUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const values = [...text.matchAll(/^taskflow_kafka_consumer_lag\{([^}]*)\} (\S+)$/gm)]
    .filter(([, labels]) => labels.includes(`topic="${topic}"`))
    .map(([, , value]) => Number(value));
  return values.length === 0 ? undefined : values.reduce((sum, value) => sum + value, 0);
}

/**
 * A genuine producer's poison message mid-load: a task.status_changed signed with task-service's key whose payload
 * nests 3,000 levels deep (refused for its depth, MAX_ENVELOPE_DEPTH), then a genuine event with the same key, so on the same partition.
 * Measures how long until that next event is stored, samples audit-service readiness meanwhile, and reads the task
 * topic's consumer lag afterwards.
 */
export async function runPoisonMessage(system: TaskflowSystem): Promise<PoisonMessageResult> {
  const taskKey = producerKey(system.eventKeys, 'task-service');
  const taskId = randomUUID();
  const poison = deeplyNestedEvent(taskId);
  const next = createEnvelope(Events.TaskStatusChanged, {
    actorId: randomUUID(),
    entityId: taskId,
    payload: { taskId, from: 'in_progress', to: 'done', version: 3 },
  });
  const injected: Injected[] = [
    {
      topic: Topics.task,
      eventId: poison.envelope.eventId,
      expectedCode: 'invalid-envelope',
      message: { ...signedMessage(poison.json, taskKey), key: taskId },
    },
  ];
  const readiness: number[] = [];
  let nextStoredMs: number | undefined;
  let lagAfter: number | undefined;
  const result = await runScenario(system, 'poison message', {
    inject: async () => {
      const producer = new Kafka({
        clientId: 'faults-poison',
        brokers: [system.backends.kafka.url],
        logLevel: logLevel.NOTHING,
      }).producer();
      await producer.connect();
      const published = Date.now();
      try {
        // One request: the poison and the next event are consecutive offsets of one partition.
        await producer.send({
          topic: Topics.task,
          acks: -1,
          messages: [injected[0].message, { key: taskId, ...signEnvelope(next, taskKey) }],
        });
      } finally {
        await producer.disconnect();
      }
      const deadline = published + 30_000;
      while (Date.now() < deadline) {
        const ready = await fetch(`${system.audit.managementUrl}/health/ready`, { signal: AbortSignal.timeout(5000) })
          .then((r) => r.status)
          .catch(() => 0);
        readiness.push(ready);
        if ((await storedOf(system.auditMongoUrl, [next.eventId]).catch(() => [])).length === 1) {
          nextStoredMs = Date.now() - published;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    durationMs: 1_000,
    remove: async () => {
      // Lag is sampled every AUDIT_PROGRESS_SAMPLE_MS (5 s): wait for a sample that shows the partition drained.
      await waitFor(async () => (lagAfter = await topicLag(system.audit.managementUrl, Topics.task)) === 0, {
        timeoutMs: 20_000,
        description: 'task topic lag back to 0',
      }).catch(() => undefined);
    },
  });
  return {
    ...result,
    injected: summary(injected),
    stored: await storedOf(system.auditMongoUrl, [poison.envelope.eventId]),
    deadLettered: await deadLetterCodes(system.backends.kafka.url, injected),
    nextEventId: next.eventId,
    nextStoredMs,
    readiness,
    lagAfter,
  };
}
