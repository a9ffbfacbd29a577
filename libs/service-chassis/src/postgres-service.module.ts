import { DynamicModule, Global, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { IdempotencyRecords } from '@taskflow/idempotency';
import type { KafkaPublisher } from '@taskflow/messaging-kafka';
import {
  AppMetrics,
  HealthCheck,
  HealthRegistry,
  JwtVerifier,
  OpsModule,
  registerPostgresOps,
  RpcErrorFilter,
  SchemaStatus,
  SERVICE_LOGGER,
  SqlQueryable,
} from '@taskflow/nest-kit';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';

/** What one PostgreSQL service is, whatever runs it (its process or an in-process test). */
export interface PostgresServiceIdentity {
  /** App name: `/status`, the metrics' `app` label, the logger, the readiness connection's `<name>-readiness`. */
  name: string;
  /** The credential audience of the calls it serves (nest-kit RPC_AUDIENCE). */
  audience: string;
  /** The schema version check (rejects while migrations are pending): at boot, and on every readiness probe. */
  assertSchema(db: SqlQueryable): Promise<SchemaStatus>;
  /** The service's outbox table (libs/outbox), published by its OutboxRelay. */
  outboxTable: string;
  /** The service's Idempotency-Key table (libs/idempotency). */
  idempotencyTable: string;
}

/** The resources a PostgreSQL service's Nest app is built on; the caller (runPostgresService, a test) owns them. */
export interface PostgresServiceResources {
  dataSource: DataSource;
  logger: Logger;
  /** Default: a fresh registry named after the service. */
  metrics?: AppMetrics;
  /** Absent in tests that do not publish; then the Kafka readiness check is skipped. */
  publisher?: KafkaPublisher;
  /** Verifies the per-call credential the gateway mints (RPC_AUDIENCE): the only source of the actor. */
  callers: JwtVerifier;
  /** How long an Idempotency-Key answers with its first result, ms. */
  idempotencyRetentionMs: number;
  /** Readiness checks of the service's own extra resources (user-service: its throttle's Redis). */
  healthChecks?: HealthCheck[];
  /** Runs once the RPC and HTTP servers are closed (graceful shutdown): ServiceResources.close in a process. */
  onShutdown?: () => Promise<void>;
}

const OPTIONS = Symbol('POSTGRES_SERVICE_OPTIONS');
type Options = PostgresServiceIdentity & PostgresServiceResources;

/**
 * The chassis of a PostgreSQL service's Nest app, global so the domain module only declares its own providers:
 * health, status and metrics (OpsModule) with the PostgreSQL readiness checks and pool metrics
 * (registerPostgresOps), plus the service's extra checks; the providers every such service injects — the
 * DataSource, the caller verifier (JwtVerifier), IdempotencyRecords on the service's table (pruned every minute),
 * SERVICE_LOGGER and RpcErrorFilter (bound by `@RpcController()`). At shutdown it stops the pruning, then runs
 * `onShutdown`.
 */
@Global()
@Module({})
export class PostgresServiceModule implements OnModuleInit, OnApplicationShutdown {
  private stopPruning?: () => void;

  constructor(
    @Inject(OPTIONS) private readonly options: Options,
    private readonly health: HealthRegistry,
    private readonly metrics: AppMetrics,
    private readonly idempotency: IdempotencyRecords,
  ) {}

  static forRoot(options: Options): DynamicModule {
    return {
      module: PostgresServiceModule,
      imports: [
        OpsModule.forApp(
          { name: options.name, version: process.env.npm_package_version ?? '0.1.0' },
          options.metrics ?? new AppMetrics(options.name),
        ),
      ],
      providers: [
        { provide: OPTIONS, useValue: options },
        { provide: DataSource, useValue: options.dataSource },
        { provide: SERVICE_LOGGER, useValue: options.logger },
        { provide: JwtVerifier, useValue: options.callers },
        {
          provide: IdempotencyRecords,
          useValue: new IdempotencyRecords({
            table: options.idempotencyTable,
            retentionMs: options.idempotencyRetentionMs,
          }),
        },
        RpcErrorFilter,
      ],
      exports: [DataSource, SERVICE_LOGGER, JwtVerifier, IdempotencyRecords, RpcErrorFilter],
    };
  }

  onModuleInit(): void {
    const { dataSource, publisher, name } = this.options;
    registerPostgresOps(this.health, this.metrics, dataSource, {
      schema: (db) => this.options.assertSchema(db),
      probeName: `${name}-readiness`,
      broker: publisher,
    });
    for (const check of this.options.healthChecks ?? []) this.health.register(check);
    this.stopPruning = this.idempotency.schedulePrune(dataSource, this.options.logger);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopPruning?.();
    await this.options.onShutdown?.();
  }
}
