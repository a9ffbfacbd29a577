import { Module } from '@nestjs/common';
import { MicroserviceOptions, NestMicroservice, Transport } from '@nestjs/microservices';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp, RpcErrorFilter } from '@taskflow/nest-kit';
import type { Logger } from 'pino';
import { TaskModule, TaskModuleOptions } from './task/task.module';

/**
 * One Nest app serving HTTP (health, status, metrics) and the TCP request/reply transport. Not started:
 * the caller runs `init()`, `startAllMicroservices()` and `listen()`.
 */
export async function createTaskServiceApp(
  options: Omit<TaskModuleOptions, 'logger'>,
  rpc: { host: string; port: number },
  logger: Logger,
): Promise<NestFastifyApplication> {
  @Module({ imports: [TaskModule.forRoot({ ...options, logger })] })
  class TaskServiceAppModule {}
  const app = await createHttpApp(TaskServiceAppModule, { logger });
  // Nest 12 binds a hybrid microservice's handlers as soon as it is connected, before any global filter
  // could be added; so defer, add the filter, then bind (what connectMicroservice would have done).
  const microservice = app.connectMicroservice<MicroserviceOptions>(
    { transport: Transport.TCP, options: { host: rpc.host, port: rpc.port } },
    { deferInitialization: true },
  ) as NestMicroservice;
  // Not inherited from the HTTP app on purpose: RPC errors travel as RpcErrorBody, not problem+json.
  microservice.useGlobalFilters(new RpcErrorFilter(logger));
  microservice.registerListeners();
  microservice.setIsInitialized(true);
  microservice.setIsInitHookCalled(true);
  return app;
}
