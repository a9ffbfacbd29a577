import { DynamicModule, Inject, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { getConnectionToken, MongooseModule } from '@nestjs/mongoose';
import { kafkaSecurityOptions } from '@taskflow/config';
import { HealthRegistry } from '@taskflow/nest-kit';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import { AuditConfig } from '../config/audit.config';
import { AuditMetrics } from './infrastructure/audit.metrics';
import { EventIngest } from './infrastructure/messaging/event-ingest';
import { KafkaBatchServer } from './infrastructure/messaging/kafka-batch.server';
import { KafkaClients } from './infrastructure/messaging/kafka-clients';
import { EVENT_LOG_MODEL, EventLogSchema } from './infrastructure/persistence/event-log.schema';
import { pendingMigrations, runMigrations } from './infrastructure/persistence/migrations';
import { databaseOf, logSlowCommands, mongoConnectOptions } from './infrastructure/persistence/mongo-connection';
import { EventLogRepository } from './infrastructure/persistence/event-log.repository';
import { AuditAdminController } from './interface/http/audit-admin.controller';
import { AuditQueryController } from './interface/http/audit-query.controller';
import { JwtAuthGuard } from './interface/http/jwt-auth.guard';
import { createIngestController } from './interface/messaging/ingest.controller';
import { AUDIT_CONFIG, LOGGER } from './tokens';

/** How many partitions of the fetched batches are written at once (one bulk insert each). */
const PARTITIONS_CONSUMED_CONCURRENTLY = 3;

/**
 * The audit context: Kafka ingest into event_logs, retention, and the analysts' query API. The ingest runs
 * on the KafkaBatchServer transport; the app connects it as a microservice (see bootstrap.ts).
 */
@Module({})
export class AuditModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(getConnectionToken()) private readonly connection: Connection,
    private readonly kafka: KafkaClients,
    transport: KafkaBatchServer,
    health: HealthRegistry,
  ) {
    health.register({
      name: 'mongodb',
      kind: 'database',
      check: async () => void (await databaseOf(connection).command({ ping: 1 })),
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
          ...mongoConnectOptions(config.mongo.serverSelectionTimeoutMs, config.mongo.tls, config.mongo.slowQueryMs),
          connectionFactory: (connection: Connection) => {
            logSlowCommands(connection.getClient(), logger, config.mongo.slowQueryMs);
            return connection;
          },
        }),
        MongooseModule.forFeature([{ name: EVENT_LOG_MODEL, schema: EventLogSchema }]),
      ],
      controllers: [
        AuditQueryController,
        AuditAdminController,
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
            ),
        },
        {
          provide: KafkaBatchServer,
          inject: [KafkaClients],
          useFactory: (clients: KafkaClients) =>
            new KafkaBatchServer({
              kafka: clients.kafka,
              groupId: config.kafka.groupId,
              chunkSize: config.kafka.batchSize,
              partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
              fromBeginning: true,
              logger,
            }),
        },
        EventLogRepository,
        EventIngest,
        AuditMetrics,
        JwtAuthGuard,
      ],
      exports: [KafkaBatchServer, EventLogRepository],
    };
  }

  /** Runs before the transport starts (startAllMicroservices follows init): no ingest without the unique index. */
  async onApplicationBootstrap(): Promise<void> {
    const db = databaseOf(this.connection);
    if (this.config.mongo.migrateOnStart) {
      const applied = await runMigrations(db);
      if (applied.length > 0) this.logger.info({ applied }, 'schema migrations applied');
    }
    // Ingesting without the unique eventId index would store redeliveries twice: refuse to start.
    const pending = await pendingMigrations(db);
    if (pending.length > 0) {
      throw new Error(`pending schema migrations ${pending.map((m) => m.version).join(', ')}: run migrate first`);
    }
  }

  /** Nest closes the transport (the consumer) before this hook; the MongoDB connection closes with MongooseModule. */
  async onApplicationShutdown(): Promise<void> {
    await this.kafka.close();
  }
}
