import {
  databaseRolesConfigSpec,
  logLevelSpec,
  env,
  fieldEncryptionKeysSpec,
  kafkaDeadlinesSpec,
  kafkaSecuritySpec,
  loadConfig,
  loadEventSigningKey,
  rpcTlsSpec,
  rpcTransportSpec,
  managementPortSpec,
  redisConnectionSpec,
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
    ...rpcTransportSpec(),
  },
  /** Column-level encryption of the email (AES-256-GCM key ring + blind-index key): server, migrations, commands. */
  pii: fieldEncryptionKeysSpec(),
  /** Health, status and metrics (no public HTTP: the RPC port is the service's interface), on the RPC host. */
  managementPort: managementPortSpec(9001),
  // Seed 001 hashes with cost 12; tests lower it to 4 to stay fast.
  bcryptCost: env.int('BCRYPT_COST', 12, { min: 4, max: 15 }),
  shutdown: shutdownConfigSpec(),
};

export type UserServiceConfig = ReturnType<typeof loadUserServiceConfig>;
export type DbConfig = UserServiceConfig['db'];

export function loadUserServiceConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(userServiceConfigSpec, source);
}

/** What only the server reads, besides the keys: the RPC listener's TLS, the `user.authenticate` throttle and its Redis. */
export const userServiceServerConfigSpec = {
  /** Mutual TLS of the RPC listener (RPC_TLS, RPC_TLS_CA/CERT/KEY); on outside development. Never logged. */
  rpcTls: rpcTlsSpec(),
  /** Redis for the throttle's counters (the gateway's Redis and rate-limit script). */
  redis: redisConnectionSpec(),
  /** Attempts of `user.authenticate` per minute: per account, and per RPC peer (a gateway replica sends many). */
  authenticateThrottle: {
    perEmailPerMinute: env.int('AUTHENTICATE_LIMIT_PER_EMAIL_PER_MINUTE', 10, { min: 1 }),
    perSourcePerMinute: env.int('AUTHENTICATE_LIMIT_PER_SOURCE_PER_MINUTE', 1200, { min: 1 }),
  },
};

/**
 * What the server (main.ts) reads: the configuration above, the RPC TLS and throttle's (userServiceServerConfigSpec), the
 * gateway's public keys (JWT_PUBLIC_KEYS), which verify the credential of every call, and the outbox relay's
 * event-signing key (EVENT_SIGNING_KEY with EVENT_SIGNING_KEY_ID). The Jobs (migrate, seed) load only the
 * configuration above.
 */
export function loadUserServiceServerConfig(source: Record<string, string | undefined> = process.env) {
  return {
    ...loadUserServiceConfig(source),
    ...loadConfig(userServiceServerConfigSpec, source),
    callerKeys: loadVerificationKeys('JWT_PUBLIC_KEYS', source),
    eventSigningKey: loadEventSigningKey(source),
  };
}

/**
 * What `migrate.js roles` reads: the database administrator's URL and the four role passwords (libs/config
 * databaseRolesConfigSpec). Nothing else: the step needs no other configuration and gets none.
 */
export function loadDatabaseRolesConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig({ profile: env.profile(), ...databaseRolesConfigSpec() }, source);
}
