import { DynamicModule, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { KafkaPublisher } from '@taskflow/messaging-kafka';
import { AppMetrics, HealthRegistry, OpsModule, registerPostgresOps } from '@taskflow/nest-kit';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { assertSchemaCurrent } from '../database/data-source';
import { PasswordHasher } from './application/password-hasher';
import { UserService } from './application/user.service';
import { RPC_LOGGER, UserRpcErrorFilter } from './interface/messaging/user-rpc-error.filter';
import { UserRpcController } from './interface/messaging/user.rpc-controller';

export interface UserModuleOptions {
  dataSource: DataSource;
  bcryptCost: number;
  /** Absent in tests that do not publish; then the Kafka health check is skipped. */
  publisher?: KafkaPublisher;
  metrics?: AppMetrics;
  logger: Logger;
  /** Runs after the HTTP and RPC servers stopped accepting work (graceful shutdown). */
  onShutdown?: () => Promise<void>;
}

const OPTIONS = Symbol('USER_MODULE_OPTIONS');

@Module({})
export class UserModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(OPTIONS) private readonly options: UserModuleOptions,
    private readonly health: HealthRegistry,
    private readonly metrics: AppMetrics,
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
        { provide: RPC_LOGGER, useValue: options.logger },
        UserRpcErrorFilter,
        { provide: PasswordHasher, useValue: new PasswordHasher(options.bcryptCost) },
        {
          provide: UserService,
          useFactory: (hasher: PasswordHasher) => new UserService(options.dataSource, hasher),
          inject: [PasswordHasher],
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
  }

  async onApplicationShutdown(): Promise<void> {
    await this.options.onShutdown?.();
  }
}
