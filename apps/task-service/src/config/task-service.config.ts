import {
  logLevelSpec,
  env,
  kafkaDeadlinesSpec,
  kafkaSecuritySpec,
  loadConfig,
  rpcTlsSpec,
  rpcTransportSpec,
  managementPortSpec,
  postgresConfigSpec,
  loadEventSigningKey,
  loadVerificationKeys,
  shutdownConfigSpec,
} from '@taskflow/config';

/** Everything task-service reads from the environment; the only place that does. */
export const taskServiceConfigSpec = {
  profile: env.profile(),
  logLevel: logLevelSpec(),
  // Pool, TLS, slow-query threshold: shared with the other PostgreSQL service.
  db: postgresConfigSpec(),
  kafka: {
    brokers: env.hostPorts('KAFKA_BROKERS', ['127.0.0.1:9092']),
    ...kafkaSecuritySpec(),
    ...kafkaDeadlinesSpec(),
    clientId: env.string('TASK_SERVICE_KAFKA_CLIENT_ID', 'task-service'),
  },
  outbox: {
    pollIntervalMs: env.int('OUTBOX_POLL_INTERVAL_MS', 200, { min: 10 }),
    batchSize: env.int('OUTBOX_BATCH_SIZE', 200, { min: 1, max: 10_000 }),
    /** How long sent rows are kept before pruning (default 7 days). */
    retentionMs: env.int('OUTBOX_RETENTION_MS', 7 * 24 * 3600 * 1000, { min: 0 }),
    backoffMaxMs: env.int('OUTBOX_BACKOFF_MAX_MS', 10_000, { min: 100 }),
  },
  idempotency: {
    /** How long an Idempotency-Key answers with its first result (default 24 h, as the gateway keeps it). */
    retentionMs: env.int('IDEMPOTENCY_RETENTION_MS', 24 * 3600 * 1000, { min: 60_000 }),
  },
  rpc: {
    host: env.string('TASK_SERVICE_HOST', '127.0.0.1'),
    port: env.int('TASK_SERVICE_PORT', 4002, { min: 0, max: 65535 }),
    ...rpcTransportSpec(),
  },
  /** Health, status and metrics (no public HTTP: the RPC port is the service's interface), on the RPC host. */
  managementPort: managementPortSpec(9002),
  shutdown: shutdownConfigSpec(),
};

export type TaskServiceConfig = ReturnType<typeof loadTaskServiceConfig>;
export type DbConfig = TaskServiceConfig['db'];

export function loadTaskServiceConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(taskServiceConfigSpec, source);
}

/**
 * What the server (main.ts) reads: the configuration above, the RPC listener's mutual TLS (RPC_TLS, RPC_TLS_CA/CERT/KEY;
 * never logged), the gateway's public keys (JWT_PUBLIC_KEYS), which
 * verify the credential of every call, and the outbox relay's event-signing key (EVENT_SIGNING_KEY with
 * EVENT_SIGNING_KEY_ID). The Jobs (migrate, seed) load only the configuration above.
 */
export function loadTaskServiceServerConfig(source: Record<string, string | undefined> = process.env) {
  return {
    ...loadTaskServiceConfig(source),
    ...loadConfig({ rpcTls: rpcTlsSpec() }, source),
    callerKeys: loadVerificationKeys('JWT_PUBLIC_KEYS', source),
    eventSigningKey: loadEventSigningKey(source),
  };
}
