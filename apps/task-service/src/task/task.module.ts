import { DynamicModule, Module } from '@nestjs/common';
import { IdempotencyRecords } from '@taskflow/idempotency';
import { TransactionalOutbox } from '@taskflow/outbox';
import type { DataSource } from 'typeorm';
import { TASK_OUTBOX_TABLE } from '../migrations';
import { TaskRepository } from './application/task.repository';
import { TaskService } from './application/task.service';
import { TypeOrmTaskRepository } from './infrastructure/persistence/typeorm-task.repository';
import { TaskRpcController } from './interface/messaging/task.rpc-controller';

export interface TaskModuleOptions {
  dataSource: DataSource;
}

/**
 * The task context: its use cases, their ports' adapters and its RPC handlers. The chassis
 * (libs/service-chassis PostgresServiceModule) provides the rest: JwtVerifier, IdempotencyRecords, health, metrics,
 * the RPC error filter.
 */
@Module({})
export class TaskModule {
  static forRoot(options: TaskModuleOptions): DynamicModule {
    return {
      module: TaskModule,
      controllers: [TaskRpcController],
      providers: [
        { provide: TaskRepository, useValue: new TypeOrmTaskRepository(options.dataSource) },
        { provide: TransactionalOutbox, useValue: new TransactionalOutbox(TASK_OUTBOX_TABLE) },
        {
          provide: TaskService,
          inject: [IdempotencyRecords, TaskRepository, TransactionalOutbox],
          useFactory: (idempotency: IdempotencyRecords, tasks: TaskRepository, outbox: TransactionalOutbox) =>
            new TaskService({ tasks, outbox, idempotency }),
        },
      ],
      exports: [TaskService],
    };
  }
}
