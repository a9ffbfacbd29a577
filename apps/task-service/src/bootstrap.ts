import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ShutdownSettings } from '@taskflow/config';
import { RPC_AUDIENCE, RpcListenerOptions } from '@taskflow/nest-kit';
import { createPostgresServiceApp, PostgresServiceIdentity, PostgresServiceResources } from '@taskflow/service-chassis';
import { assertSchemaCurrent } from './database/data-source';
import { TASK_IDEMPOTENCY_TABLE, TASK_OUTBOX_TABLE } from './migrations';
import { TaskModule } from './task/task.module';

/** task-service as the service chassis knows it. */
export const TASK_SERVICE: PostgresServiceIdentity = {
  name: 'task-service',
  audience: RPC_AUDIENCE.task,
  assertSchema: assertSchemaCurrent,
  outboxTable: TASK_OUTBOX_TABLE,
  idempotencyTable: TASK_IDEMPOTENCY_TABLE,
};

/**
 * task-service's Nest app: the task context on the chassis (createPostgresServiceApp: TCP request/reply, health,
 * status and metrics on the management listener). Not started: the caller runs `init()`, `startAllMicroservices()`
 * and `listen()` (main.ts through runPostgresService; the tests themselves).
 */
export function createTaskServiceApp(
  options: PostgresServiceResources,
  rpc: RpcListenerOptions,
  shutdown?: ShutdownSettings,
): Promise<NestFastifyApplication> {
  const domain = TaskModule.forRoot({ dataSource: options.dataSource });
  return createPostgresServiceApp(TASK_SERVICE, domain, options, rpc, shutdown);
}
