import { Module } from '@nestjs/common';
import { MicroserviceOptions, NestMicroservice } from '@nestjs/microservices';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ShutdownSettings } from '@taskflow/config';
import { createHttpApp, DrainingTcpServer, RpcErrorFilter, RpcListenerOptions } from '@taskflow/nest-kit';
import type { Logger } from 'pino';
import { TaskModule, TaskModuleOptions } from './task/task.module';

/**
 * One Nest app: the TCP request/reply transport, and health, status and metrics on its management listener. Not started:
 * the caller runs `init()`, `startAllMicroservices()` and `listen()`.
 */
export async function createTaskServiceApp(
  options: Omit<TaskModuleOptions, 'logger'>,
  rpc: RpcListenerOptions,
  logger: Logger,
  shutdown?: ShutdownSettings,
): Promise<NestFastifyApplication> {
  @Module({ imports: [TaskModule.forRoot({ ...options, logger })] })
  class TaskServiceAppModule {}
  const app = await createHttpApp(TaskServiceAppModule, { logger, shutdown });
  // Nest 12 binds a hybrid microservice's handlers as soon as it is connected, before any global filter
  // could be added; so defer, add the filter, then bind (what connectMicroservice would have done).
  const microservice = app.connectMicroservice<MicroserviceOptions>(
    // Graceful close: replies in flight are written before a connection ends (Nest's ServerTCP destroys them).
    { strategy: new DrainingTcpServer({ ...rpc, closeTimeoutMs: shutdown?.shutdownTimeoutMs }) },
    { deferInitialization: true },
  ) as NestMicroservice;
  // Not inherited from the HTTP app on purpose: RPC errors travel as RpcErrorBody, not problem+json.
  microservice.useGlobalFilters(new RpcErrorFilter(logger));
  microservice.registerListeners();
  microservice.setIsInitialized(true);
  microservice.setIsInitHookCalled(true);
  return app;
}
