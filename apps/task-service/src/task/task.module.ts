import { DynamicModule, Module } from '@nestjs/common';
import { IdempotencyRecords } from '@taskflow/idempotency';
import type { DataSource } from 'typeorm';
import { TASK_OUTBOX_TABLE } from '../migrations';
import { TaskService } from './application/task.service';
import { TaskRpcController } from './interface/messaging/task.rpc-controller';

export interface TaskModuleOptions {
  dataSource: DataSource;
  /** Called after each committed write (wakes the outbox relay). */
  afterCommit?: () => void;
}

/**
 * The task context: its use cases and RPC handlers. The chassis (libs/service-chassis PostgresServiceModule)
 * provides the rest: JwtVerifier, IdempotencyRecords, health, metrics, the RPC error filter.
 */
@Module({})
export class TaskModule {
  static forRoot(options: TaskModuleOptions): DynamicModule {
    return {
      module: TaskModule,
      controllers: [TaskRpcController],
      providers: [
        {
          provide: TaskService,
          inject: [IdempotencyRecords],
          useFactory: (idempotency: IdempotencyRecords) =>
            new TaskService({
              dataSource: options.dataSource,
              outboxTable: TASK_OUTBOX_TABLE,
              idempotency,
              afterCommit: options.afterCommit,
            }),
        },
      ],
      exports: [TaskService],
    };
  }
}
