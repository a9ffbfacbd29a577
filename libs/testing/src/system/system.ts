import {
  ensureKafkaTopics,
  freePort,
  EventKeysEnv,
  generateEventKeysEnv,
  generateCheckpointKeyEnv,
  generateFieldEncryptionKeyEnv,
  generateSigningKeyEnv,
} from '@taskflow/infra';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServiceDatabase, ServiceDatabase } from '../scratch-database';
import { AppProcess } from './app-process';
import { PrivateBackends, startPrivateBackends } from './backends';
import { registerSystemDir } from './registry';

export interface TaskflowSystem {
  backends: PrivateBackends;
  database: ServiceDatabase;
  /** MongoDB URL of the audit store (database `faults_audit` on the private server). */
  auditMongoUrl: string;
  gateway: AppProcess;
  user: AppProcess;
  task: AppProcess;
  audit: AppProcess;
  /** The system's event-signing keys: each producer's own (user-service, task-service, audit-service, backup). */
  eventKeys: EventKeysEnv;
  /** Another task-service process on the same database and Kafka (its own ports), not started. */
  extraTaskService(): Promise<AppProcess>;
  /** Another gateway with the same configuration on its own port (a rolling update's new replica), not started. */
  extraGateway(): Promise<AppProcess>;
  /** Stops every app and server this system started and drops its database; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * The whole system on private backends: its own Kafka, mongo-java-server and redis-server on free ports
 * (data under a temp folder), a scratch database on the PostgreSQL server of DATABASE_URL (user- and
 * task-service migrate as their owner role and serve as their runtime role), and the four apps as child
 * processes on free ports. Nothing here touches the shared servers' processes or data.
 */
export async function startSystem(extraEnv: Record<string, string> = {}): Promise<TaskflowSystem> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-faults-'));
  registerSystemDir(dir);
  const started: { stop: () => Promise<void> }[] = [];
  const stopAll = async () => {
    for (const item of started.reverse()) await item.stop().catch(() => undefined);
    started.length = 0;
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const backends = await startPrivateBackends(dir);
    started.push({ stop: () => backends.stopAll() });
    await ensureKafkaTopics(backends.kafka.url);
    const database = await createServiceDatabase('faults');
    started.push({ stop: () => database.drop() });
    const auditMongoUrl = `${backends.mongo.url.replace(/\/[^/]*$/, '')}/faults_audit`;

    const [
      gatewayHttp,
      gatewayManagement,
      userManagement,
      userRpc,
      taskManagement,
      taskRpc,
      auditHttp,
      auditManagement,
    ] = await Promise.all(Array.from({ length: 8 }, () => freePort()));
    const common = {
      NODE_ENV: 'test',
      // The system's own token keys: the gateway signs with them, every app verifies with them.
      ...generateSigningKeyEnv(),
      ...generateFieldEncryptionKeyEnv(),
      ...generateCheckpointKeyEnv(),
      LOG_LEVEL: 'warn',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      KAFKA_BROKERS: backends.kafka.url,
      REDIS_URL: backends.redis.url,
      MONGO_URL: auditMongoUrl,
      // Read by no app: marks the processes of this system (registry.ts).
      TASKFLOW_SYSTEM_DIR: dir,
      // A SIGTERM drains like in staging/production (readiness 503, still serving), shorter for the suite's pace.
      DRAIN_DELAY_MS: '2000',
      ...extraEnv,
    };
    // One event-signing key per producer, as deployed: audit-service accepts each on its own topics only.
    const eventKeys = generateEventKeysEnv();
    const apps: AppProcess[] = [];
    const app = (name: string, ports: { http?: number; management: number }, env: Record<string, string>) => {
      const process = new AppProcess(name, ports, { ...common, ...env, MANAGEMENT_PORT: String(ports.management) });
      apps.push(process);
      return process;
    };
    const user = app(
      'user-service',
      { management: userManagement },
      {
        ...database.env('user-service'),
        ...eventKeys.producers['user-service'],
        MIGRATIONS_RUN: 'true',
        BCRYPT_COST: '4',
        USER_SERVICE_PORT: String(userRpc),
        AUTHENTICATE_LIMIT_PER_EMAIL_PER_MINUTE: '1000',
      },
    );
    const taskEnv = (rpc: number) => ({
      ...database.env('task-service'),
      ...eventKeys.producers['task-service'],
      MIGRATIONS_RUN: 'true',
      TASK_SERVICE_PORT: String(rpc),
    });
    const task = app('task-service', { management: taskManagement }, taskEnv(taskRpc));
    const audit = app(
      'audit-service',
      { http: auditHttp, management: auditManagement },
      {
        ...eventKeys.producers['audit-service'],
        EVENT_VERIFY_KEYS: eventKeys.EVENT_VERIFY_KEYS,
        AUDIT_HTTP_PORT: String(auditHttp),
        AUDIT_HTTP_HOST: '127.0.0.1',
        AUDIT_CONSUMER_GROUP: 'faults-audit',
      },
    );
    const gatewayEnv = (http: number) => ({
      GATEWAY_PORT: String(http),
      GATEWAY_HOST: '127.0.0.1',
      USER_SERVICE_PORT: String(userRpc),
      TASK_SERVICE_PORT: String(taskRpc),
      AUDIT_SERVICE_URL: audit.url,
      // The box is shared and restarts burn CPU: a 3 s RPC deadline would turn CPU starvation into 503s.
      RPC_TIMEOUT_MS: '8000',
      // One load-generating user writes 5–20 tasks/s: above the per-user default of 300/min.
      RATE_LIMIT_USER_PER_MINUTE: '100000',
      RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
      API_DOCS_ENABLED: 'false',
    });
    const gateway = app('api-gateway', { http: gatewayHttp, management: gatewayManagement }, gatewayEnv(gatewayHttp));
    started.push({ stop: () => Promise.all(apps.map((a) => a.stop())).then(() => undefined) });
    // task-service's tables reference users: user-service migrates first.
    await user.start();
    await Promise.all([task.start(), audit.start(), gateway.start()]);

    const extraTaskService = async () => {
      const [rpc, management] = await Promise.all([freePort(), freePort()]);
      return app('task-service', { management }, taskEnv(rpc));
    };
    const extraGateway = async () => {
      const [http, management] = await Promise.all([freePort(), freePort()]);
      return app('api-gateway', { http, management }, gatewayEnv(http));
    };
    return {
      backends,
      database,
      auditMongoUrl,
      gateway,
      user,
      task,
      audit,
      eventKeys,
      extraTaskService,
      extraGateway,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
