import { Module } from '@nestjs/common';
import { MicroserviceOptions } from '@nestjs/microservices';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ShutdownSettings } from '@taskflow/config';
import { createHttpApp, DrainingTcpServer, RpcListenerOptions } from '@taskflow/nest-kit';
import { UserModule, UserModuleOptions } from './user/user.module';

/**
 * One Nest app: the TCP request/reply transport, and health, status and metrics on its management listener. Not started:
 * the caller runs `init()`, `startAllMicroservices()` and `listen()`.
 */
export async function createUserServiceApp(
  options: UserModuleOptions,
  rpc: RpcListenerOptions,
  shutdown?: ShutdownSettings,
): Promise<NestFastifyApplication> {
  @Module({ imports: [UserModule.forRoot(options)] })
  class UserServiceAppModule {}
  const app = await createHttpApp(UserServiceAppModule, { logger: options.logger, shutdown });
  // Not inheriting the HTTP app's config on purpose: RPC errors travel as RpcErrorBody (the controller's filter).
  // Graceful close: replies in flight are written before a connection ends (Nest's ServerTCP destroys them).
  app.connectMicroservice<MicroserviceOptions>({
    strategy: new DrainingTcpServer({ ...rpc, closeTimeoutMs: shutdown?.shutdownTimeoutMs }),
  });
  return app;
}
