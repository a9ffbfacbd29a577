import {
  logLevelSpec,
  env,
  fieldEncryptionKeysSpec,
  kafkaDeadlinesSpec,
  kafkaSecuritySpec,
  loadConfig,
  loadEventSigningKey,
  loadVerificationKeys,
  postgresConfigSpec,
  shutdownConfigSpec,
} from '@taskflow/config';

/** Everything user-service reads from the environment; the only place that does. */
export const userServiceConfigSpec = {
  profile: env.profile(),
  logLevel: logLevelSpec(),
  // Pool, TLS, slow-query threshold: shared with the other PostgreSQL service.
  db: {
    ...postgresConfigSpec(),
  },
  kafka: {
    brokers: env.hostPorts('KAFKA_BROKERS', ['127.0.0.1:9092']),
    ...kafkaSecuritySpec(),
    ...kafkaDeadlinesSpec(),
    clientId: env.string('USER_SERVICE_KAFKA_CLIENT_ID', 'user-service'),
  },
  outbox: {
    pollIntervalMs: env.int('USER_SERVICE_OUTBOX_POLL_MS', 200, { min: 10 }),
    batchSize: env.int('USER_SERVICE_OUTBOX_BATCH', 100, { min: 1, max: 10_000 }),
    /** How long sent rows are kept before pruning (default 7 days). */
    retentionMs: env.int('USER_SERVICE_OUTBOX_RETENTION_MS', 7 * 24 * 3600 * 1000, { min: 0 }),
  },
  idempotency: {
    /** How long an Idempotency-Key answers with its first result (default 24 h, as the gateway keeps it). */
    retentionMs: env.int('USER_SERVICE_IDEMPOTENCY_RETENTION_MS', 24 * 3600 * 1000, { min: 60_000 }),
  },
  rpc: {
    host: env.string('USER_SERVICE_HOST', '127.0.0.1'),
    port: env.int('USER_SERVICE_PORT', 4001, { min: 0, max: 65535 }),
  },
  http: {
    host: env.string('USER_SERVICE_HTTP_HOST', '0.0.0.0'),
    port: env.int('USER_SERVICE_HTTP_PORT', 3001, { min: 0, max: 65535 }),
  },
  /** Column-level encryption of the email (AES-256-GCM key ring + blind-index key): server, migrations, commands. */
  pii: fieldEncryptionKeysSpec(),
  // Seed 001 hashes with cost 12; tests lower it to 4 to stay fast.
  bcryptCost: env.int('BCRYPT_COST', 12, { min: 4, max: 15 }),
  shutdown: shutdownConfigSpec(),
};

export type UserServiceConfig = ReturnType<typeof loadUserServiceConfig>;
export type DbConfig = UserServiceConfig['db'];

export function loadUserServiceConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(userServiceConfigSpec, source);
}

/**
 * What the server (main.ts) reads: the configuration above plus the gateway's public keys (JWT_PUBLIC_KEYS), which
 * verify the credential of every call, and the outbox relay's event-signing key (EVENT_SIGNING_KEY with
 * EVENT_SIGNING_KEY_ID). The Jobs (migrate, seed) load only the configuration above.
 */
export function loadUserServiceServerConfig(source: Record<string, string | undefined> = process.env) {
  return {
    ...loadUserServiceConfig(source),
    callerKeys: loadVerificationKeys('JWT_PUBLIC_KEYS', source),
    eventSigningKey: loadEventSigningKey(source),
  };
}
