import { Module } from '@nestjs/common';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp } from '@taskflow/nest-kit';
import { UserModule, UserModuleOptions } from './user/user.module';

/**
 * One Nest app serving HTTP (health, status, metrics) and the TCP request/reply transport. Not started:
 * the caller runs `init()`, `startAllMicroservices()` and `listen()`.
 */
export async function createUserServiceApp(
  options: UserModuleOptions,
  rpc: { host: string; port: number },
): Promise<NestFastifyApplication> {
  @Module({ imports: [UserModule.forRoot(options)] })
  class UserServiceAppModule {}
  const app = await createHttpApp(UserServiceAppModule, { logger: options.logger });
  // Not inheriting the HTTP app's config on purpose: RPC errors travel as RpcErrorBody (the controller's filter).
  app.connectMicroservice<MicroserviceOptions>({
    transport: Transport.TCP,
    options: { host: rpc.host, port: rpc.port },
  });
  return app;
}
