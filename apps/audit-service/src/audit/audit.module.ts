import {
  BeforeApplicationShutdown,
  DynamicModule,
  Inject,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { HealthRegistry } from '@taskflow/nest-kit';
import type { Logger } from 'pino';
import { AuditConfig } from '../config/audit.config';
import { AuditMetrics } from './infrastructure/audit.metrics';
import { IngestConsumer } from './infrastructure/messaging/ingest.consumer';
import { KafkaClients } from './infrastructure/messaging/kafka-clients';
import { AuditDatabase } from './infrastructure/persistence/audit-database';
import { EventLogRepository } from './infrastructure/persistence/event-log.repository';
import { pendingMigrations, runMigrations } from './infrastructure/persistence/migrations';
import { AuditAdminController } from './interface/http/audit-admin.controller';
import { AuditQueryController } from './interface/http/audit-query.controller';
import { JwtAuthGuard } from './interface/http/jwt-auth.guard';
import { AUDIT_CONFIG, LOGGER } from './tokens';

/** The audit context: Kafka ingest into event_logs, retention, and the analysts' query API. */
@Module({})
export class AuditModule implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly database: AuditDatabase,
    private readonly kafka: KafkaClients,
    private readonly ingest: IngestConsumer,
    health: HealthRegistry,
  ) {
    health.register({ name: 'mongodb', kind: 'database', check: () => database.ping() });
    health.register({
      name: 'kafka-consumer',
      kind: 'broker',
      check: async () => {
        if (config.kafka.ingestEnabled && !ingest.isConnected) throw new Error('consumer not connected');
      },
    });
    health.register({
      name: 'migrations',
      kind: 'schema',
      check: async () => {
        const pending = await pendingMigrations(database.db);
        if (pending.length > 0) throw new Error(`pending migrations: ${pending.map((m) => m.version).join(', ')}`);
      },
    });
  }

  static forRoot(config: AuditConfig, logger: Logger): DynamicModule {
    return {
      module: AuditModule,
      controllers: [AuditQueryController, AuditAdminController],
      providers: [
        { provide: AUDIT_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        {
          provide: AuditDatabase,
          useFactory: () => AuditDatabase.connect(config.mongo.url, config.mongo.serverSelectionTimeoutMs),
        },
        {
          provide: KafkaClients,
          useFactory: () => KafkaClients.connect(config.kafka.brokers, config.kafka.clientId, logger),
        },
        EventLogRepository,
        AuditMetrics,
        IngestConsumer,
        JwtAuthGuard,
      ],
      exports: [IngestConsumer, EventLogRepository, AuditDatabase],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.mongo.migrateOnStart) {
      const applied = await runMigrations(this.database.db);
      if (applied.length > 0) this.logger.info({ applied }, 'schema migrations applied');
    }
    // Ingesting without the unique eventId index would store redeliveries twice: refuse to start.
    const pending = await pendingMigrations(this.database.db);
    if (pending.length > 0) {
      throw new Error(`pending schema migrations ${pending.map((m) => m.version).join(', ')}: run migrate first`);
    }
    if (this.config.kafka.ingestEnabled) await this.ingest.start();
  }

  /** Stops consuming first, so an in-flight batch is abandoned uncommitted rather than cut off mid-commit. */
  async beforeApplicationShutdown(signal?: string): Promise<void> {
    await this.ingest.stop();
    this.logger.info({ signal }, 'audit ingest stopped');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.kafka.close();
    await this.database.close();
  }
}
