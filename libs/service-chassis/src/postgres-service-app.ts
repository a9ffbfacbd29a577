import { DynamicModule, Module } from '@nestjs/common';
import { MicroserviceOptions } from '@nestjs/microservices';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ShutdownSettings } from '@taskflow/config';
import { createHttpApp, DrainingTcpServer, RpcListenerOptions } from '@taskflow/nest-kit';
import { PostgresServiceIdentity, PostgresServiceModule, PostgresServiceResources } from './postgres-service.module';

/**
 * One PostgreSQL service's Nest app: `domain` (its controllers and use cases) on the chassis (PostgresServiceModule),
 * the TCP request/reply transport (DrainingTcpServer: replies in flight are written before a connection ends), and
 * health, status and metrics on its management listener. Not started: the caller runs `init()`,
 * `startAllMicroservices()` and `listen()` (runPostgresService does, in that order).
 */
export async function createPostgresServiceApp(
  service: PostgresServiceIdentity,
  domain: DynamicModule,
  resources: PostgresServiceResources,
  rpc: RpcListenerOptions,
  shutdown?: ShutdownSettings,
): Promise<NestFastifyApplication> {
  @Module({ imports: [PostgresServiceModule.forRoot({ ...service, ...resources }), domain] })
  class PostgresServiceAppModule {}
  const app = await createHttpApp(PostgresServiceAppModule, { logger: resources.logger, shutdown });
  // Not inheriting the HTTP app's config on purpose: RPC errors travel as RpcErrorBody (@RpcController's filter),
  // not problem+json.
  app.connectMicroservice<MicroserviceOptions>({
    strategy: new DrainingTcpServer({ ...rpc, closeTimeoutMs: shutdown?.shutdownTimeoutMs }),
  });
  return app;
}
