import { DynamicModule, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { KafkaPublisher } from '@taskflow/messaging-kafka';
import { AppMetrics, HealthRegistry, OpsModule, registerPostgresOps } from '@taskflow/nest-kit';
import type { DataSource } from 'typeorm';
import { TASK_OUTBOX_TABLE } from '../migrations';
import { assertSchemaCurrent } from '../database/data-source';
import { TaskService } from './application/task.service';
import { TaskRpcController } from './interface/messaging/task.rpc-controller';

export interface TaskModuleOptions {
  dataSource: DataSource;
  publisher: KafkaPublisher;
  metrics: AppMetrics;
  /** Called after each committed write (wakes the outbox relay). */
  afterCommit?: () => void;
  /** Runs once the servers are closed: stop the relay, the producer, the pools. */
  onShutdown?: () => Promise<void>;
}

const OPTIONS = Symbol('TASK_MODULE_OPTIONS');

@Module({})
export class TaskModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(OPTIONS) private readonly options: TaskModuleOptions,
    private readonly health: HealthRegistry,
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
        {
          provide: TaskService,
          useFactory: () =>
            new TaskService({
              dataSource: options.dataSource,
              outboxTable: TASK_OUTBOX_TABLE,
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
  }

  async onApplicationShutdown(): Promise<void> {
    await this.options.onShutdown?.();
  }
}
