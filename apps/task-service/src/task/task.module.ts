import { DynamicModule, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { IdempotencyRecords } from '@taskflow/idempotency';
import type { KafkaPublisher } from '@taskflow/messaging-kafka';
import { TransactionalOutbox } from '@taskflow/outbox';
import { AppMetrics, HealthRegistry, JwtVerifier, OpsModule, registerPostgresOps } from '@taskflow/nest-kit';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { TASK_IDEMPOTENCY_TABLE, TASK_OUTBOX_TABLE } from '../migrations';
import { assertSchemaCurrent } from '../database/data-source';
import { TaskRepository } from './application/task.repository';
import { TaskService } from './application/task.service';
import { TypeOrmTaskRepository } from './infrastructure/persistence/typeorm-task.repository';
import { TaskRpcController } from './interface/messaging/task.rpc-controller';

export interface TaskModuleOptions {
  dataSource: DataSource;
  publisher: KafkaPublisher;
  metrics: AppMetrics;
  /** Verifies the per-call credential the gateway mints (RPC_AUDIENCE): the only source of the actor. */
  callers: JwtVerifier;
  logger: Logger;
  /** How long an Idempotency-Key answers with its first result, ms (config `IDEMPOTENCY_RETENTION_MS`). */
  idempotencyRetentionMs: number;
  /** Called after each committed write (wakes the outbox relay). */
  afterCommit?: () => void;
  /** Runs once the servers are closed: stop the relay, the producer, the pools. */
  onShutdown?: () => Promise<void>;
}

const OPTIONS = Symbol('TASK_MODULE_OPTIONS');

@Module({})
export class TaskModule implements OnModuleInit, OnApplicationShutdown {
  private stopPruning?: () => void;

  constructor(
    @Inject(OPTIONS) private readonly options: TaskModuleOptions,
    private readonly health: HealthRegistry,
    private readonly idempotency: IdempotencyRecords,
  ) {}

  static forRoot(options: TaskModuleOptions): DynamicModule {
    return {
      module: TaskModule,
      imports: [
        OpsModule.forApp({ name: 'task-service', version: process.env.APP_VERSION ?? '0.1.0' }, options.metrics),
      ],
      controllers: [TaskRpcController],
      providers: [
        { provide: OPTIONS, useValue: options },
        { provide: JwtVerifier, useValue: options.callers },
        {
          provide: IdempotencyRecords,
          useFactory: () =>
            new IdempotencyRecords({ table: TASK_IDEMPOTENCY_TABLE, retentionMs: options.idempotencyRetentionMs }),
        },
        { provide: TaskRepository, useValue: new TypeOrmTaskRepository(options.dataSource) },
        { provide: TransactionalOutbox, useValue: new TransactionalOutbox(TASK_OUTBOX_TABLE) },
        {
          provide: TaskService,
          inject: [IdempotencyRecords, TaskRepository, TransactionalOutbox],
          useFactory: (idempotency: IdempotencyRecords, tasks: TaskRepository, outbox: TransactionalOutbox) =>
            new TaskService({
              tasks,
              outbox,
              idempotency,
              afterCommit: options.afterCommit,
            }),
        },
      ],
      exports: [TaskService],
    };
  }

  onModuleInit(): void {
    const { dataSource, publisher, metrics } = this.options;
    registerPostgresOps(this.health, metrics, dataSource, {
      schema: (db) => assertSchemaCurrent(db),
      probeName: 'task-service-readiness',
      broker: publisher,
    });
    this.stopPruning = this.idempotency.schedulePrune(dataSource, this.options.logger);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopPruning?.();
    await this.options.onShutdown?.();
  }
}
