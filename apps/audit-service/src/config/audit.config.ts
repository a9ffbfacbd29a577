import {
  logLevelSpec,
  devOnly,
  env,
  KafkaSaslSettings,
  kafkaDeadlinesSpec,
  kafkaSecuritySpec,
  loadConfig,
  managementPortSpec,
  RedisConnectionSettings,
  redisConnectionSpec,
  sessionFailureModeSpec,
  Profile,
  ShutdownSettings,
  shutdownConfigSpec,
  TlsSettings,
  tlsSettings,
  VerificationKeys,
  verificationKeysSpec,
  EventSigningKey,
  eventSigningKeySpec,
  EventVerifyKeys,
  eventVerifyKeysSpec,
} from '@taskflow/config';
import { ALL_EVENT_TYPES, ALL_TOPICS, canonicalTopic, Topics } from '@taskflow/contracts';
import { DEFAULT_RETENTION_RULES, mergeRetentionRules, RetentionPolicy } from '../audit/domain/retention-policy';

export interface AuditConfig {
  profile: Profile;
  mongo: {
    url: string;
    /** How long an operation waits for a usable server (MongoDB down or unreachable), ms. */
    serverSelectionTimeoutMs: number;
    /** TCP connect + handshake deadline of a new connection, ms. */
    connectTimeoutMs: number;
    /** A socket with no answer for this long is closed and its operation fails (a hung server), ms. */
    socketTimeoutMs: number;
    /** Server-side deadline of every query (`maxTimeMS`), ms; below `socketTimeoutMs` so the server answers first. */
    queryTimeoutMs: number;
    migrateOnStart: boolean;
    tls: TlsSettings;
    /** Commands slower than this are logged as warnings; 0 = off. */
    slowQueryMs: number;
  };
  kafka: {
    brokers: string[];
    tls: TlsSettings;
    sasl: KafkaSaslSettings;
    /** kafkajs socket connect and per-request deadlines, ms (KAFKA_CONNECTION_TIMEOUT_MS, KAFKA_REQUEST_TIMEOUT_MS). */
    connectionTimeoutMs: number;
    requestTimeoutMs: number;
    clientId: string;
    groupId: string;
    /** Subscribed topics; all TaskFlow event topics unless AUDIT_TOPICS narrows them (tests use unique topics). */
    topics: string[];
    /** Where the admin endpoint publishes `system.maintenance.started`. */
    systemTopic: string;
    auditTopic: string;
    /** Most messages per bulk insert; a larger fetched batch is written (and committed) in chunks. */
    batchSize: number;
    ingestEnabled: boolean;
    /** How often consumer lag and the oldest unprocessed message are sampled, ms. */
    progressSampleMs: number;
    /** A partition with lag whose committed offset has not moved for this long is stalled (readiness degraded), ms. */
    stallAfterMs: number;
  };
  /** Public (query API) and management (MANAGEMENT_PORT: health, status, metrics) ports, both on `host`. */
  http: { port: number; host: string; managementPort: number };
  shutdown: ShutdownSettings;
  /**
   * The gateway's public keys (JWK Set): verify analysts' access tokens. The gateway's session store (`redis`) tells
   * whether a token's session is live and the user's current role; SESSION_FAILURE_MODE as in the gateway.
   */
  auth: { publicKeys: VerificationKeys; sessionFailureMode: 'closed' | 'open' };
  redis: RedisConnectionSettings;
  /**
   * Event authenticity: the key audit-service signs its own events with (EVENT_SIGNING_KEY, EVENT_SIGNING_KEY_ID)
   * and the producers' public keys, each with the topics it may sign (EVENT_VERIFY_KEYS); ingest stores only
   * events they verify.
   */
  events: { signingKey: EventSigningKey; verifyKeys: EventVerifyKeys };
  retention: RetentionPolicy;
  /** Tamper evidence: the key that signs (HMAC-SHA256) the chain checkpoints; keep it outside MongoDB. */
  chain: { checkpointKey: Buffer };
  logLevel: string;
}

/** MONGO_URL (multi-host replica sets and SRV, checked with the driver's parser), TLS and timeouts. */
function mongoSpec() {
  return {
    url: env.mongoUrl('MONGO_URL', devOnly('mongodb://127.0.0.1:27017/taskflow_audit')),
    tls: tlsSettings('MONGO_TLS'),
    slowQueryMs: env.int('SLOW_QUERY_MS', 200, { min: 0 }),
    serverSelectionTimeoutMs: env.int('MONGO_SERVER_SELECTION_TIMEOUT_MS', 5000, { min: 100 }),
    connectTimeoutMs: env.int('MONGO_CONNECT_TIMEOUT_MS', 5000, { min: 100 }),
    socketTimeoutMs: env.int('MONGO_SOCKET_TIMEOUT_MS', 10_000, { min: 100 }),
    queryTimeoutMs: env.int('MONGO_QUERY_TIMEOUT_MS', 5000, { min: 10 }),
    migrateOnStart: env.bool('AUDIT_MIGRATE_ON_START', true),
  };
}

/** Fewest bytes of AUDIT_CHECKPOINT_KEY: an HMAC-SHA256 key should be as long as the hash (RFC 2104). */
const CHECKPOINT_KEY_MIN_BYTES = 32;

/**
 * AUDIT_CHECKPOINT_KEY (or _FILE): the HMAC-SHA256 key of the chain checkpoints, at least 32 bytes (UTF-8).
 * A development default only; staging and production must mount their own secret.
 */
function checkpointKeySpec() {
  return env.string('AUDIT_CHECKPOINT_KEY');
}

function checkpointKeyOf(raw: string): Buffer {
  const key = Buffer.from(raw, 'utf8');
  if (key.length < CHECKPOINT_KEY_MIN_BYTES) {
    throw new Error(
      `Invalid configuration:\n  - AUDIT_CHECKPOINT_KEY: must be at least ${CHECKPOINT_KEY_MIN_BYTES} bytes (value not shown)`,
    );
  }
  return key;
}

export type AuditMigrationConfig = Pick<AuditConfig, 'profile' | 'mongo' | 'logLevel'>;

export type AuditVerifyConfig = Pick<AuditConfig, 'profile' | 'mongo' | 'logLevel' | 'retention' | 'chain'>;

/**
 * What the verification command (verify.ts) reads: MongoDB, the retention policy (to judge expiry) and the
 * checkpoint key. No Kafka, no token keys. Throws listing all problems.
 */
export function loadAuditVerifyConfig(source: Record<string, string | undefined> = process.env): AuditVerifyConfig {
  const raw = loadConfig(
    {
      profile: env.profile(),
      mongo: mongoSpec(),
      retentionJson: env.string('AUDIT_RETENTION_JSON', ''),
      checkpointKey: checkpointKeySpec(),
      logLevel: logLevelSpec(),
    },
    source,
  );
  return {
    profile: raw.profile,
    mongo: raw.mongo,
    logLevel: raw.logLevel,
    retention: retentionOf(raw.retentionJson),
    chain: { checkpointKey: checkpointKeyOf(raw.checkpointKey) },
  };
}

function retentionOf(json: string): RetentionPolicy {
  try {
    return RetentionPolicy.from(mergeRetentionRules(DEFAULT_RETENTION_RULES, json), ALL_EVENT_TYPES);
  } catch (error) {
    throw new Error(`Invalid configuration:\n  - AUDIT_RETENTION_JSON: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * What the migration command (migrate.ts, the taskflow-audit-migrate Job) reads: MongoDB only. It needs
 * neither Kafka nor the token keys, so its Job is not given them. Throws a ConfigError listing all problems.
 */
export function loadAuditMigrationConfig(
  source: Record<string, string | undefined> = process.env,
): AuditMigrationConfig {
  return loadConfig({ profile: env.profile(), mongo: mongoSpec(), logLevel: logLevelSpec() }, source);
}

export interface CompletenessConfig extends AuditMigrationConfig {
  /**
   * Read-only PostgreSQL URLs of the services' databases holding the outbox tables; '' = not checked (at least
   * one is required). Never given to audit-service itself: only the operator's completeness command reads them.
   */
  outboxes: { user: string; task: string };
  /** An outbox row younger than this (unsent: since created; sent: since sent) is in flight, not a gap, ms. */
  graceMs: number;
}

/**
 * What the completeness command (completeness.ts) reads: MongoDB, the outbox databases and the grace period.
 * Throws a ConfigError listing all problems.
 */
export function loadCompletenessConfig(source: Record<string, string | undefined> = process.env): CompletenessConfig {
  const config = loadConfig(
    {
      profile: env.profile(),
      mongo: mongoSpec(),
      logLevel: logLevelSpec(),
      outboxes: {
        user: env.postgresUrl('USER_OUTBOX_DATABASE_URL', ''),
        task: env.postgresUrl('TASK_OUTBOX_DATABASE_URL', ''),
      },
      graceMs: env.int('COMPLETENESS_GRACE_MS', 300_000, { min: 0 }),
    },
    source,
  );
  if (!config.outboxes.user && !config.outboxes.task) {
    throw new Error(
      'Invalid configuration:\n  - USER_OUTBOX_DATABASE_URL, TASK_OUTBOX_DATABASE_URL: set at least one (a read-only role)',
    );
  }
  return config;
}

/** Reads and validates every AUDIT_*, MONGO_*, KAFKA_* key at once; throws a ConfigError listing all problems. */
export function loadAuditConfig(source: Record<string, string | undefined> = process.env): AuditConfig {
  const raw = loadConfig(
    {
      profile: env.profile(),
      mongo: mongoSpec(),
      kafka: {
        brokers: env.hostPorts('KAFKA_BROKERS', ['127.0.0.1:9092']),
        ...kafkaSecuritySpec(),
        ...kafkaDeadlinesSpec(),
        clientId: env.string('KAFKA_CLIENT_ID', 'audit-service'),
        groupId: env.string('AUDIT_CONSUMER_GROUP', 'taskflow-audit'),
        topics: env.string('AUDIT_TOPICS', ALL_TOPICS.join(',')),
        systemTopic: env.string('AUDIT_SYSTEM_TOPIC', Topics.system),
        /** Where audit-service publishes its own acts (`audit.*` events). */
        auditTopic: env.string('AUDIT_EVENTS_TOPIC', Topics.audit),
        batchSize: env.int('AUDIT_BATCH_SIZE', 1000, { min: 1, max: 50_000 }),
        ingestEnabled: env.bool('AUDIT_INGEST_ENABLED', true),
        progressSampleMs: env.int('AUDIT_PROGRESS_SAMPLE_MS', 5000, { min: 100 }),
        stallAfterMs: env.int('AUDIT_STALL_AFTER_MS', 60_000, { min: 1000 }),
      },
      http: {
        port: env.int('AUDIT_HTTP_PORT', 3003, { min: 0, max: 65535 }),
        // Loopback unless a deployment opens it (compose and Kubernetes set 0.0.0.0): reached through the gateway.
        host: env.string('AUDIT_HTTP_HOST', '127.0.0.1'),
        managementPort: managementPortSpec(9003),
      },
      shutdown: shutdownConfigSpec(),
      auth: { publicKeys: verificationKeysSpec('JWT_PUBLIC_KEYS'), sessionFailureMode: sessionFailureModeSpec() },
      redis: redisConnectionSpec(),
      events: {
        signingKey: eventSigningKeySpec('EVENT_SIGNING_KEY'),
        verifyKeys: eventVerifyKeysSpec('EVENT_VERIFY_KEYS'),
      },
      retentionJson: env.string('AUDIT_RETENTION_JSON', ''),
      checkpointKey: checkpointKeySpec(),
      logLevel: logLevelSpec(),
    },
    source,
  );
  if (raw.mongo.queryTimeoutMs >= raw.mongo.socketTimeoutMs) {
    throw new Error(
      'Invalid configuration:\n  - MONGO_QUERY_TIMEOUT_MS: must be below MONGO_SOCKET_TIMEOUT_MS (the server answers a missed deadline first)',
    );
  }
  const retention = retentionOf(raw.retentionJson);
  const chain = { checkpointKey: checkpointKeyOf(raw.checkpointKey) };
  const topics = raw.kafka.topics.split(',').map((topic) => topic.trim());
  // Each topic carries one entity type (the wrong-topic check, the signing keys' allowed topics): its name says which.
  const unbound = [
    ...topics.map((topic) => ['AUDIT_TOPICS', topic]),
    ['AUDIT_SYSTEM_TOPIC', raw.kafka.systemTopic],
    ['AUDIT_EVENTS_TOPIC', raw.kafka.auditTopic],
  ].filter(([, topic]) => !canonicalTopic(topic));
  if (unbound.length > 0) {
    const names = ALL_TOPICS.join(', ');
    throw new Error(
      `Invalid configuration:\n${unbound.map(([name, topic]) => `  - ${name}: ${topic} must be (or end with) one of ${names}`).join('\n')}`,
    );
  }
  const { retentionJson: _unused, checkpointKey: _key, ...rest } = raw;
  return {
    ...rest,
    chain,
    kafka: { ...raw.kafka, topics },
    retention,
  } as AuditConfig;
}
