import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { getConnectionToken, MongooseModule } from '@nestjs/mongoose';
import { kafkaSecurityOptions } from '@taskflow/config';
import { MongooseHealthIndicator } from '@nestjs/terminus';
import { HealthRegistry, indicatorCheck } from '@taskflow/nest-kit';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import { AuditConfig } from '../config/audit.config';
import { AuditMetrics } from './infrastructure/audit.metrics';
import { ConsumerProgress } from './infrastructure/messaging/consumer-progress';
import { EventIngest } from './infrastructure/messaging/event-ingest';
import { KafkaBatchServer } from './infrastructure/messaging/kafka-batch.server';
import { AuditEventPublisher } from './infrastructure/messaging/audit-event-publisher';
import { KafkaClients } from './infrastructure/messaging/kafka-clients';
import { EVENT_LOG_MODEL, EventLogSchema } from './infrastructure/persistence/event-log.schema';
import { pendingMigrations } from './infrastructure/persistence/migrations';
import { databaseOf, mongoConnectOptions } from './infrastructure/persistence/mongo-connection';
import { MongoConnector } from './infrastructure/persistence/mongo-connector';
import { EventLogRepository } from './infrastructure/persistence/event-log.repository';
import { TaskHistoryController } from './interface/http/task-history.controller';
import { AuditedReads } from './application/audited-reads';
import { LegalHolds } from './application/legal-holds';
import { AuditActs, BrokerProbe, EventStore, LegalHoldStore, RetentionStampStore } from './application/ports';
import { RetentionRestamp } from './application/retention-restamp';
import { LegalHoldRepository } from './infrastructure/persistence/legal-hold.repository';
import { RetentionStampRepository } from './infrastructure/persistence/retention-stamp.repository';
import { ChainRepository } from './infrastructure/persistence/chain.repository';
import { AuditVerifyController } from './interface/http/audit-verify.controller';
import { AuditAdminController } from './interface/http/audit-admin.controller';
import { AuditOperationsController } from './interface/http/audit-operations.controller';
import { DeadLetterOperations } from './infrastructure/messaging/dead-letter-operations';
import { ReplayRunner } from './infrastructure/messaging/replay';
import { AuditQueryController } from './interface/http/audit-query.controller';
import { SessionStoreClient } from './infrastructure/sessions/session-store.client';
import { JwtAuthGuard } from './interface/http/jwt-auth.guard';
import { createIngestController } from './interface/messaging/ingest.controller';
import { AUDIT_CONFIG, LOGGER } from './tokens';

/** How many partitions of the fetched batches are written at once (one bulk insert each). */
const PARTITIONS_CONSUMED_CONCURRENTLY = 3;

/**
 * The audit context: Kafka ingest into event_logs, retention, and the analysts' query API. The ingest runs
 * on the KafkaBatchServer transport; the app connects it as a microservice (see bootstrap.ts). MongoDB is
 * opened in the background (MongoConnector): the app serves HTTP before MongoDB is reachable.
 */
@Module({})
export class AuditModule implements OnApplicationShutdown {
  constructor(
    @Inject(AUDIT_CONFIG) config: AuditConfig,
    @Inject(getConnectionToken()) connection: Connection,
    private readonly kafka: KafkaClients,
    transport: KafkaBatchServer,
    progress: ConsumerProgress,
    health: HealthRegistry,
    mongodb: MongooseHealthIndicator,
  ) {
    health.register({
      name: 'mongodb',
      kind: 'database',
      check: indicatorCheck(() => mongodb.pingCheck('mongodb', { connection })),
    });
    health.register({
      name: 'kafka-consumer',
      kind: 'broker',
      // Soft: the query API keeps serving while ingest pauses (it resumes from the committed offsets).
      // The consumer's own state lags an outage while kafkajs retries, so a broker is asked too.
      critical: false,
      check: async () => {
        if (!config.kafka.ingestEnabled) return;
        if (!transport.isConnected) throw new Error('consumer not connected');
        await kafka.ping();
      },
    });
    health.register({
      name: 'ingest-progress',
      kind: 'broker',
      // Soft: a stalled partition degrades readiness (and alerts); the query API still answers.
      critical: false,
      check: async () => {
        const stalled = progress.stalled();
        if (stalled.length === 0) return;
        const seconds = (since: number) => Math.round((Date.now() - since) / 1000);
        const which = stalled.map((p) => `${p.topic}[${p.partition}] lag ${p.lag}, ${seconds(p.noProgressSince)} s`);
        throw new Error(`no progress: ${which.join('; ')}`);
      },
    });
    health.register({
      name: 'migrations',
      kind: 'schema',
      check: async () => {
        const pending = await pendingMigrations(databaseOf(connection));
        if (pending.length > 0) throw new Error(`pending migrations: ${pending.map((m) => m.version).join(', ')}`);
      },
    });
  }

  static forRoot(config: AuditConfig, logger: Logger): DynamicModule {
    return {
      module: AuditModule,
      imports: [
        MongooseModule.forRoot(config.mongo.url, {
          ...mongoConnectOptions(config.mongo, config.mongo.tls, config.mongo.slowQueryMs),
          // Not awaited at start-up (MongoConnector retries in the background); a failed attempt is an
          // 'error' event, which also keeps mongoose's rejected first connection from going unhandled.
          lazyConnection: true,
          connectionFactory: (connection: Connection) =>
            connection.on('error', (error: Error) => logger.warn({ err: error.message }, 'mongodb connection error')),
        }),
        MongooseModule.forFeature([{ name: EVENT_LOG_MODEL, schema: EventLogSchema }]),
      ],
      controllers: [
        AuditQueryController,
        AuditVerifyController,
        AuditAdminController,
        TaskHistoryController,
        AuditOperationsController,
        ...(config.kafka.ingestEnabled ? [createIngestController(config.kafka.topics)] : []),
      ],
      providers: [
        { provide: AUDIT_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        {
          provide: KafkaClients,
          useFactory: () =>
            KafkaClients.connect(
              config.kafka.brokers,
              config.kafka.clientId,
              logger,
              kafkaSecurityOptions(config.kafka.tls, config.kafka.sasl),
              config.kafka,
            ),
        },
        {
          provide: KafkaBatchServer,
          inject: [KafkaClients, ChainRepository],
          useFactory: (clients: KafkaClients, chains: ChainRepository) =>
            new KafkaBatchServer({
              kafka: clients.kafka,
              groupId: config.kafka.groupId,
              chunkSize: config.kafka.batchSize,
              partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
              fromBeginning: true,
              logger,
              // The chains of a partition this member lost may have grown elsewhere: reload their heads.
              onGroupJoin: () => chains.forget(),
            }),
        },
        MongoConnector,
        EventLogRepository,
        LegalHoldRepository,
        RetentionStampRepository,
        // The use cases' ports (application/ports.ts), bound to their adapters.
        { provide: EventStore, useExisting: EventLogRepository },
        { provide: LegalHoldStore, useExisting: LegalHoldRepository },
        { provide: RetentionStampStore, useExisting: RetentionStampRepository },
        { provide: AuditActs, useExisting: AuditEventPublisher },
        { provide: BrokerProbe, useExisting: KafkaClients },
        AuditedReads,
        LegalHolds,
        RetentionRestamp,
        ChainRepository,
        EventIngest,
        AuditEventPublisher,
        DeadLetterOperations,
        ReplayRunner,
        ConsumerProgress,
        AuditMetrics,
        SessionStoreClient,
        JwtAuthGuard,
      ],
      exports: [KafkaBatchServer, EventLogRepository, MongoConnector],
    };
  }

  /** Nest closes the transport (the consumer) before this hook; the MongoDB connection closes with MongooseModule. */
  async onApplicationShutdown(): Promise<void> {
    await this.kafka.close();
  }
}
