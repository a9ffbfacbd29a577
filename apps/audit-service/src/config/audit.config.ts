import {
  logLevelSpec,
  devOnly,
  env,
  KafkaSaslSettings,
  kafkaSecuritySpec,
  loadConfig,
  Profile,
  profileOf,
  ShutdownSettings,
  shutdownConfigSpec,
  TlsSettings,
  tlsSettings,
} from '@taskflow/config';
import { ALL_EVENT_TYPES, ALL_TOPICS, Topics } from '@taskflow/contracts';
import { DEFAULT_RETENTION_RULES, mergeRetentionRules, RetentionPolicy } from '../audit/domain/retention-policy';

export interface AuditConfig {
  profile: Profile;
  mongo: {
    url: string;
    serverSelectionTimeoutMs: number;
    migrateOnStart: boolean;
    tls: TlsSettings;
    /** Commands slower than this are logged as warnings; 0 = off. */
    slowQueryMs: number;
  };
  kafka: {
    brokers: string[];
    tls: TlsSettings;
    sasl: KafkaSaslSettings;
    clientId: string;
    groupId: string;
    /** Subscribed topics; all TaskFlow event topics unless AUDIT_TOPICS narrows them (tests use unique topics). */
    topics: string[];
    /** Where the admin endpoint publishes `system.maintenance.started`. */
    systemTopic: string;
    /** Most messages per bulk insert; a larger fetched batch is written (and committed) in chunks. */
    batchSize: number;
    ingestEnabled: boolean;
  };
  http: { port: number; host: string };
  shutdown: ShutdownSettings;
  auth: { jwtSecret: string };
  retention: RetentionPolicy;
  logLevel: string;
}

const DEV_JWT_SECRET = 'dev-only-change-me';

/** Reads and validates every AUDIT_*, MONGO_*, KAFKA_* key at once; throws a ConfigError listing all problems. */
export function loadAuditConfig(source: Record<string, string | undefined> = process.env): AuditConfig {
  const production = profileOf(source) !== 'development';
  const raw = loadConfig(
    {
      profile: env.profile(),
      mongo: {
        url: env.url('MONGO_URL', ['mongodb', 'mongodb+srv'], devOnly('mongodb://127.0.0.1:27017/taskflow_audit')),
        tls: tlsSettings('MONGO_TLS'),
        slowQueryMs: env.int('SLOW_QUERY_MS', 200, { min: 0 }),
        serverSelectionTimeoutMs: env.int('MONGO_SERVER_SELECTION_TIMEOUT_MS', 5000, { min: 100 }),
        migrateOnStart: env.bool('AUDIT_MIGRATE_ON_START', true),
      },
      kafka: {
        brokers: env.hostPorts('KAFKA_BROKERS', ['127.0.0.1:9092']),
        ...kafkaSecuritySpec(),
        clientId: env.string('KAFKA_CLIENT_ID', 'audit-service'),
        groupId: env.string('AUDIT_CONSUMER_GROUP', 'taskflow-audit'),
        topics: env.string('AUDIT_TOPICS', ALL_TOPICS.join(',')),
        systemTopic: env.string('AUDIT_SYSTEM_TOPIC', Topics.system),
        batchSize: env.int('AUDIT_BATCH_SIZE', 1000, { min: 1, max: 50_000 }),
        ingestEnabled: env.bool('AUDIT_INGEST_ENABLED', true),
      },
      http: {
        port: env.int('AUDIT_HTTP_PORT', 3003, { min: 0, max: 65535 }),
        host: env.string('AUDIT_HTTP_HOST', '0.0.0.0'),
      },
      shutdown: shutdownConfigSpec(),
      auth: { jwtSecret: env.string('JWT_SECRET', devOnly(DEV_JWT_SECRET)) },
      retentionJson: env.string('AUDIT_RETENTION_JSON', ''),
      logLevel: logLevelSpec(),
    },
    source,
  );
  if (production && raw.auth.jwtSecret === DEV_JWT_SECRET) {
    throw new Error('Invalid configuration:\n  - JWT_SECRET: the development secret is not allowed in production');
  }
  let retention: RetentionPolicy;
  try {
    retention = RetentionPolicy.from(mergeRetentionRules(DEFAULT_RETENTION_RULES, raw.retentionJson), ALL_EVENT_TYPES);
  } catch (error) {
    throw new Error(`Invalid configuration:\n  - AUDIT_RETENTION_JSON: ${(error as Error).message}`, { cause: error });
  }
  const { retentionJson: _unused, ...rest } = raw;
  return {
    ...rest,
    kafka: { ...raw.kafka, topics: raw.kafka.topics.split(',').map((topic) => topic.trim()) },
    retention,
  } as AuditConfig;
}
