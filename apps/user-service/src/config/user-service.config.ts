import { env, loadConfig } from '@taskflow/config';

/** Everything user-service reads from the environment; the only place that does. */
export const userServiceConfigSpec = {
  nodeEnv: env.oneOf('NODE_ENV', ['development', 'test', 'production'] as const, 'development'),
  logLevel: env.oneOf('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const, 'info'),
  db: {
    url: env.url('DATABASE_URL', ['postgres', 'postgresql'], 'postgres://postgres@127.0.0.1:5432/taskflow'),
    readUrls: env.urlList('DATABASE_READ_URLS', ['postgres', 'postgresql'], []),
    // Pool numbers of seed 001 ("Connection Pooling").
    poolMax: env.int('DB_POOL_MAX', 20, { min: 1, max: 1000 }),
    idleTimeoutMs: env.int('DB_IDLE_TIMEOUT_MS', 30_000, { min: 0 }),
    connectTimeoutMs: env.int('DB_CONNECT_TIMEOUT_MS', 2_000, { min: 1 }),
    /** 0 = no statement timeout. */
    statementTimeoutMs: env.int('DB_STATEMENT_TIMEOUT_MS', 10_000, { min: 0 }),
    migrationsRun: env.bool('MIGRATIONS_RUN', false),
  },
  kafka: {
    brokers: env.hostPorts('KAFKA_BROKERS', ['127.0.0.1:9092']),
    clientId: env.string('USER_SERVICE_KAFKA_CLIENT_ID', 'user-service'),
  },
  outbox: {
    pollIntervalMs: env.int('USER_SERVICE_OUTBOX_POLL_MS', 200, { min: 10 }),
    batchSize: env.int('USER_SERVICE_OUTBOX_BATCH', 100, { min: 1, max: 10_000 }),
    /** How long sent rows are kept before pruning (default 7 days). */
    retentionMs: env.int('USER_SERVICE_OUTBOX_RETENTION_MS', 7 * 24 * 3600 * 1000, { min: 0 }),
  },
  rpc: {
    host: env.string('USER_SERVICE_HOST', '127.0.0.1'),
    port: env.int('USER_SERVICE_PORT', 4001, { min: 0, max: 65535 }),
  },
  http: {
    host: env.string('USER_SERVICE_HTTP_HOST', '0.0.0.0'),
    port: env.int('USER_SERVICE_HTTP_PORT', 3001, { min: 0, max: 65535 }),
  },
  // Seed 001 hashes with cost 12; tests lower it to 4 to stay fast.
  bcryptCost: env.int('BCRYPT_COST', 12, { min: 4, max: 15 }),
};

export type UserServiceConfig = ReturnType<typeof loadUserServiceConfig>;
export type DbConfig = UserServiceConfig['db'];

export function loadUserServiceConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(userServiceConfigSpec, source);
}
