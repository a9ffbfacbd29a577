import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CacheKeys, Session } from '@taskflow/cache';
import {
  createEnvelope,
  deadLetterTopic,
  EntityType,
  EventEnvelope,
  Events,
  maskEmail,
  Topics,
} from '@taskflow/contracts';
import { createLogger } from '@taskflow/nest-kit';
import { accessToken, eventKeyEnv, signedMessage, signingKeyEnv } from '@taskflow/testing';
import { Admin, Kafka, KafkaMessage, logLevel, Producer } from 'kafkajs';
import { Redis } from 'ioredis';
import { Db, MongoClient } from 'mongodb';
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { MongoConnector } from '../src/audit/infrastructure/persistence/mongo-connector';
import { startAuditApp } from '../src/bootstrap';
import { AuditConfig, loadAuditConfig } from '../src/config/audit.config';

export const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const MONGO_BASE = process.env.TASKFLOW_TEST_MONGO_URL ?? 'mongodb://127.0.0.1:27017';

/** Names unique per suite run: topics, database and consumer group never collide with other engineers'. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
}

/**
 * A unique topic for events of `entityType`: `<prefix>-<unique>.taskflow.<entity>.events.v1`, so audit-service binds
 * it to that entity type (the wrong-topic check and the signing keys' allowed topics go by the canonical name).
 */
export function testTopic(prefix: string, entityType: EntityType): string {
  return `${uniqueName(prefix)}.${Topics[entityType]}`;
}

/** Redis DB 12: these tests' session store, which no suite flushes (each suite owns a DB: 2 README, 3 gateway audit API, 4-11 gateway, 12 audit-service, 13 idempotency, 14 user-service, 15 RPC mTLS). */
export const TEST_REDIS_URL = (() => {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  url.pathname = '/12';
  return url.toString();
})();

export function testConfig(env: Record<string, string>): AuditConfig {
  return loadAuditConfig({
    KAFKA_BROKERS: BROKERS,
    REDIS_URL: TEST_REDIS_URL,
    AUDIT_CHECKPOINT_KEY: process.env.AUDIT_CHECKPOINT_KEY!,
    JWT_PUBLIC_KEYS: signingKeyEnv().JWT_PUBLIC_KEYS,
    ...eventKeyEnv(),
    LOG_LEVEL: 'silent',
    MONGO_SERVER_SELECTION_TIMEOUT_MS: '1500',
    ...env,
  });
}

/**
 * The app as main.ts runs it (HTTP API plus the Kafka ingest microservice), without binding a port; by default
 * once MongoDB is connected and migrated (the app itself starts before that).
 */
export async function startApp(
  config: AuditConfig,
  { waitForMongo = true }: { waitForMongo?: boolean } = {},
): Promise<NestFastifyApplication> {
  const logger = createLogger('audit-test', process.env.TEST_LOG_LEVEL ?? 'silent');
  await saveSessions(Object.values(SESSIONS));
  const app = await startAuditApp(config, logger);
  await app.getHttpAdapter().getInstance().ready();
  if (waitForMongo) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('audit-service: MongoDB not ready within 30 s')), 30_000);
    });
    await Promise.race([app.get(MongoConnector).whenReady(), timeout])
      .catch(async (error) => {
        await app.close().catch(() => undefined);
        throw error;
      })
      .finally(() => clearTimeout(timer));
  }
  return app;
}

type Role = 'user' | 'admin' | 'auditor';
interface TestSession {
  userId: string;
  sessionId: string;
  role: Role;
}
/** One live session per role for this test file (saved by startApp), as the gateway's login writes it. */
const SESSIONS: Record<Role, TestSession> = {
  user: { userId: randomUUID(), sessionId: randomUUID(), role: 'user' },
  admin: { userId: randomUUID(), sessionId: randomUUID(), role: 'admin' },
  auditor: { userId: randomUUID(), sessionId: randomUUID(), role: 'auditor' },
};

/** Writes `session:{sessionId}` (seed 001) for each, in the shape the gateway writes at login, for 10 minutes. */
export async function saveSessions(sessions: TestSession[]): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    for (const { userId, sessionId, role } of sessions) {
      const session: Session = {
        userId,
        role,
        createdAt: new Date().toISOString(),
        expiresAt: new Date(Date.now() + 600_000).toISOString(),
        refreshHash: 'test',
      };
      await redis.set(CacheKeys.session(sessionId), JSON.stringify(session), 'EX', 600);
    }
  } finally {
    redis.disconnect();
  }
}

/** An access token as the gateway issues it, for this file's user with `role` and its live session. */
export function token(role: Role): string {
  const { userId, sessionId } = SESSIONS[role];
  return accessToken({ id: userId, role }, sessionId, 300);
}

/**
 * An access token for `actor` with a live session saved first (audit-service refuses a token whose session does not
 * exist, as the gateway does). For tests that mint tokens for their own actors.
 */
export async function sessionToken(actor: { id: string; role: Role }, ttlSeconds = 300): Promise<string> {
  const sessionId = randomUUID();
  await saveSessions([{ userId: actor.id, sessionId, role: actor.role }]);
  return accessToken(actor, sessionId, ttlSeconds);
}

/** A token for a fresh user whose session was never saved (logged out, or forged with a guessed `sid`). */
export function tokenWithoutSession(role: Role): string {
  return accessToken({ id: randomUUID(), role }, randomUUID(), 300);
}

export class KafkaFixture {
  readonly kafka = new Kafka({ clientId: 'audit-int-test', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
  readonly admin: Admin = this.kafka.admin();
  readonly producer: Producer = this.kafka.producer({ allowAutoTopicCreation: false });
  private readonly created: string[] = [];

  async connect(): Promise<void> {
    await this.admin.connect();
    await this.producer.connect();
  }

  /** Creates each topic and its dead-letter topic (auto-create is off on the shared broker). */
  async createTopics(topics: string[], numPartitions = 2): Promise<void> {
    const all = topics.flatMap((topic) => [topic, deadLetterTopic(topic)]);
    await this.admin.createTopics({ waitForLeaders: true, topics: all.map((topic) => ({ topic, numPartitions })) });
    this.created.push(...all);
  }

  /** Publishes as a genuine producer does (signed with the test producer's key; a string is signed as is). */
  async publish(topic: string, events: (EventEnvelope | string)[]): Promise<void> {
    await this.producer.send({ topic, acks: -1, messages: events.map((event) => signedMessage(event)) });
  }

  /** Reads every message of a topic from the beginning (a throwaway group). */
  async readAll(topic: string, expected: number, timeoutMs = 20_000): Promise<KafkaMessage[]> {
    const consumer = this.kafka.consumer({ groupId: uniqueName('audit-int-reader') });
    const messages: KafkaMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
    await waitFor(async () => messages.length >= expected, timeoutMs).finally(() => consumer.disconnect());
    return messages;
  }

  async close(): Promise<void> {
    if (this.created.length > 0) await this.admin.deleteTopics({ topics: this.created }).catch(() => undefined);
    await this.producer.disconnect();
    await this.admin.disconnect();
  }
}

export async function openDb(url: string): Promise<{ client: MongoClient; db: Db }> {
  const client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 3000 });
  return { client, db: client.db() };
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

const TASK_ID = () => randomUUID();

/** A valid event of each seed 001 class, cycling through task, user and system types. */
export function sampleEvent(
  i: number,
  overrides: { occurredAt?: Date; correlationId?: string; actorId?: string } = {},
) {
  const actorId = overrides.actorId ?? randomUUID();
  const common = { actorId, correlationId: overrides.correlationId, occurredAt: overrides.occurredAt };
  switch (i % 4) {
    case 0: {
      const taskId = TASK_ID();
      return createEnvelope(Events.TaskStatusChanged, {
        ...common,

        entityId: taskId,
        payload: { taskId, from: 'todo', to: 'in_progress', version: 2 },
      });
    }
    case 1:
      return createEnvelope(Events.UserLogin, {
        ...common,

        entityId: actorId,
        payload: { userId: actorId, sessionId: randomUUID() },
      });
    case 2:
      // Every other one as producers wrote it before v2 (clear email): stored ones must stay readable.
      return i % 8 === 2
        ? createEnvelope(Events.UserRegistered, {
            ...common,
            entityId: actorId,
            payload: { userId: actorId, email: `u${i}@example.com`, role: 'user' },
          })
        : createEnvelope(Events.UserRegisteredV2, {
            ...common,
            entityId: actorId,
            payload: { userId: actorId, emailMasked: maskEmail(`u${i}@example.com`), role: 'user' },
          });
    default:
      return createEnvelope(Events.SystemBackupStarted, {
        ...common,

        entityId: randomUUID(),
        payload: { backupId: `b-${i}`, target: 'mongo' },
      });
  }
}

/** Our own mongo-java-server (never the shared one): started and killed by PID, data kept in an H2 file. */
export async function startOwnMongo(port: number, h2File: string): Promise<ChildProcess> {
  const root = `${__dirname}/../../..`;
  const child = spawn(
    'java',
    ['-cp', `${root}/.infra/lib/mongo/*`, `${root}/infra/mongo/MongoLauncher.java`, '127.0.0.1', String(port), h2File],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('mongo-java-server did not start in 60 s')), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`mongo-java-server exited with ${code}`)));
  });
  return child;
}

export async function stopOwnMongo(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
