import { DynamicModule, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { FieldEncryptionKeys } from '@taskflow/config';
import { IdempotencyRecords } from '@taskflow/idempotency';
import type { KafkaPublisher } from '@taskflow/messaging-kafka';
import { AppMetrics, HealthRegistry, JwtVerifier, OpsModule, registerPostgresOps } from '@taskflow/nest-kit';
import { TransactionalOutbox } from '@taskflow/outbox';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { assertSchemaCurrent } from '../database/data-source';
import { USER_IDEMPOTENCY_TABLE, USER_OUTBOX_TABLE } from '../migrations';
import { PasswordHasher } from './application/password-hasher';
import { UserService } from './application/user.service';
import { UserRepository } from './application/user.repository';
import { createUserRepository } from './infrastructure/persistence/user-repository.factory';
import { AuthenticateThrottle } from './interface/messaging/authenticate-throttle';
import { RPC_LOGGER, UserRpcErrorFilter } from './interface/messaging/user-rpc-error.filter';
import { UserRpcController } from './interface/messaging/user.rpc-controller';

export interface UserModuleOptions {
  dataSource: DataSource;
  bcryptCost: number;
  /** Keys of the email's column encryption and blind index (`PII_*`). */
  fieldKeys: FieldEncryptionKeys;
  /** Absent in tests that do not publish; then the Kafka health check is skipped. */
  publisher?: KafkaPublisher;
  metrics?: AppMetrics;
  logger: Logger;
  /** Verifies the per-call credential the gateway mints (RPC_AUDIENCE): the only source of the actor. */
  callers: JwtVerifier;
  /** How long an Idempotency-Key answers with its first result, ms (`USER_SERVICE_IDEMPOTENCY_RETENTION_MS`). */
  idempotencyRetentionMs: number;
  /** user-service's own throttle on `user.authenticate` (Redis); its Redis client is the caller's to connect and close. */
  authenticateThrottle: AuthenticateThrottle;
  /** Runs after the HTTP and RPC servers stopped accepting work (graceful shutdown). */
  onShutdown?: () => Promise<void>;
}

const OPTIONS = Symbol('USER_MODULE_OPTIONS');

@Module({})
export class UserModule implements OnModuleInit, OnApplicationShutdown {
  private stopPruning?: () => void;

  constructor(
    @Inject(OPTIONS) private readonly options: UserModuleOptions,
    private readonly health: HealthRegistry,
    private readonly metrics: AppMetrics,
    private readonly idempotency: IdempotencyRecords,
  ) {}

  /** The user context plus the ops endpoints; the DataSource is owned (connected, closed) by the caller. */
  static forRoot(options: UserModuleOptions): DynamicModule {
    return {
      module: UserModule,
      imports: [
        OpsModule.forApp(
          { name: 'user-service', version: process.env.npm_package_version ?? '0.1.0' },
          options.metrics,
        ),
      ],
      controllers: [UserRpcController],
      providers: [
        { provide: OPTIONS, useValue: options },
        { provide: JwtVerifier, useValue: options.callers },
        { provide: AuthenticateThrottle, useValue: options.authenticateThrottle },
        { provide: RPC_LOGGER, useValue: options.logger },
        UserRpcErrorFilter,
        { provide: PasswordHasher, useValue: new PasswordHasher(options.bcryptCost) },
        {
          provide: IdempotencyRecords,
          useFactory: () =>
            new IdempotencyRecords({ table: USER_IDEMPOTENCY_TABLE, retentionMs: options.idempotencyRetentionMs }),
        },
        { provide: UserRepository, useValue: createUserRepository(options.fieldKeys) },
        { provide: TransactionalOutbox, useValue: new TransactionalOutbox(USER_OUTBOX_TABLE) },
        {
          provide: UserService,
          useFactory: (
            users: UserRepository,
            hasher: PasswordHasher,
            idempotency: IdempotencyRecords,
            outbox: TransactionalOutbox,
          ) => new UserService(options.dataSource, users, hasher, idempotency, outbox),
          inject: [UserRepository, PasswordHasher, IdempotencyRecords, TransactionalOutbox],
        },
      ],
      exports: [UserService],
    };
  }

  onModuleInit(): void {
    const { dataSource, publisher } = this.options;
    registerPostgresOps(this.health, this.metrics, dataSource, {
      schema: (db) => assertSchemaCurrent(db),
      probeName: 'user-service-readiness',
      broker: publisher,
    });
    this.health.register(this.options.authenticateThrottle.healthCheck());
    this.stopPruning = this.idempotency.schedulePrune(dataSource, this.options.logger);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopPruning?.();
    await this.options.onShutdown?.();
  }
}
