import {
  EventSigningKey,
  kafkaSecurityOptions,
  KafkaSaslSettings,
  RpcTls,
  ShutdownSettings,
  TlsSettings,
  VerificationKeys,
} from '@taskflow/config';
import { KafkaPublisher } from '@taskflow/messaging-kafka';
import { AppMetrics, RpcListenerOptions } from '@taskflow/nest-kit';
import { OutboxRelay, wakeAfterOutboxCommit } from '@taskflow/outbox';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { PostgresServiceIdentity } from './postgres-service.module';

/** The part of a PostgreSQL service's server configuration (its `load…ServerConfig()`) the chassis reads. */
export interface PostgresServiceConfig {
  logLevel: string;
  /** MIGRATIONS_RUN: apply pending migrations at start-up (as the schema owner). */
  db: { migrationsRun: boolean };
  kafka: {
    brokers: string[];
    clientId: string;
    connectionTimeoutMs: number;
    requestTimeoutMs: number;
    tls: TlsSettings;
    sasl: KafkaSaslSettings;
  };
  /** The relay's poll interval and backoff (ms), batch size (rows), sent rows' retention (ms). */
  outbox: { pollIntervalMs: number; batchSize: number; retentionMs: number; backoffMaxMs?: number };
  idempotency: { retentionMs: number };
  /** The RPC listener (logged at start); its TLS travels apart, in `rpcTls`, which is never logged. */
  rpc: Omit<RpcListenerOptions, 'tls' | 'closeTimeoutMs'>;
  rpcTls: RpcTls;
  /** Health, status and metrics, on the RPC host. */
  managementPort: number;
  shutdown: ShutdownSettings;
  /** The gateway's public keys (JWT_PUBLIC_KEYS): verify every call's credential. */
  callerKeys: VerificationKeys;
  /** Signs every event the relay publishes (EVENT_SIGNING_KEY). */
  eventSigningKey: EventSigningKey;
}

/** How a service reaches its own database: its migrations and its runtime pool, each with its own URL. */
export interface PostgresServiceDatabase {
  /** Applies the pending migrations as the schema owner; answers the names applied. Run only with MIGRATIONS_RUN. */
  migrate(logger: Logger): Promise<string[]>;
  /** Connects the runtime pool (DATABASE_URL), or rejects naming the variable to fix. */
  connect(logger: Logger): Promise<DataSource>;
}

/**
 * What a PostgreSQL service process owns besides its Nest app: the pool, the Kafka producer, the outbox relay,
 * and the service's own clients (`closeWith`). `close()` releases them in the one safe order, once the servers
 * are closed: stop the relay, flush what is pending (a failed flush leaves the rows to the next relay), disconnect
 * the producer, close the service's own clients, destroy the pool (the relay and the clients need it until then).
 */
export class ServiceResources {
  private readonly closers: Array<() => void | Promise<void>> = [];

  constructor(
    readonly name: string,
    readonly dataSource: DataSource,
    readonly metrics: AppMetrics,
    readonly publisher: KafkaPublisher,
    readonly relay: OutboxRelay,
    private readonly logger: Logger,
  ) {}

  /** Runs `close` at shutdown after the producer is disconnected and before the pool is destroyed. */
  closeWith(close: () => void | Promise<void>): void {
    this.closers.push(close);
  }

  async close(): Promise<void> {
    await this.relay.stop();
    const flushed = await this.relay.flush().catch((error: Error) => {
      this.logger.warn({ err: error.message }, 'outbox flush at shutdown failed; the next relay sends the rows');
      return 0;
    });
    if (flushed > 0) this.logger.info({ flushed }, 'outbox flushed at shutdown');
    await this.publisher.disconnect();
    for (const close of this.closers) await close();
    await this.dataSource.destroy();
    this.logger.info(`${this.name} stopped`);
  }
}

/**
 * Opens a service's resources in order: migrations (with MIGRATIONS_RUN), the pool, the schema check (refuses a
 * schema older than the code; warns about a newer one, as in a rolling deployment), then the metrics registry, the
 * Kafka producer and the outbox relay (not started: runPostgresService starts it once the servers listen).
 * Rejects, with the pool closed, when the database is unreachable or behind.
 */
export async function openServiceResources(
  service: PostgresServiceIdentity,
  config: PostgresServiceConfig,
  database: PostgresServiceDatabase,
  logger: Logger,
): Promise<ServiceResources> {
  if (config.db.migrationsRun) {
    logger.info({ migrations: await database.migrate(logger) }, 'migrations applied at start-up');
  }
  const dataSource = await database.connect(logger);
  const schema = await service.assertSchema(dataSource).catch(async (error) => {
    await dataSource.destroy();
    throw error;
  });
  if (schema.unknown.length > 0) {
    logger.warn({ unknown: schema.unknown }, 'database schema is newer than this code (rolling deployment?)');
  }

  const metrics = new AppMetrics(service.name);
  const publisher = new KafkaPublisher({
    brokers: config.kafka.brokers,
    clientId: config.kafka.clientId,
    connectionTimeoutMs: config.kafka.connectionTimeoutMs,
    requestTimeoutMs: config.kafka.requestTimeoutMs,
    logger,
    signingKey: config.eventSigningKey,
    ...kafkaSecurityOptions(config.kafka.tls, config.kafka.sasl),
  });
  const relay = new OutboxRelay({
    dataSource,
    table: service.outboxTable,
    publisher,
    logger,
    metrics,
    ...config.outbox,
  });
  // Every committed write with an event wakes the relay at once (both services, whatever use case wrote it).
  wakeAfterOutboxCommit(dataSource, () => relay.wake());
  return new ServiceResources(service.name, dataSource, metrics, publisher, relay, logger);
}
