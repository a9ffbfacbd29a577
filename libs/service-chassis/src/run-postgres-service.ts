import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ShutdownSettings } from '@taskflow/config';
import { createLogger, JwtVerifier, listen, RpcListenerOptions } from '@taskflow/nest-kit';
import type { PostgresServiceIdentity, PostgresServiceResources } from './postgres-service.module';
import {
  openServiceResources,
  PostgresServiceConfig,
  PostgresServiceDatabase,
  ServiceResources,
} from './service-resources';

/** What the chassis hands a service's `createApp`: the module's resources, plus the hooks of what it adds. */
export interface ServiceAppResources extends Required<Omit<PostgresServiceResources, 'healthChecks'>> {
  /** Closes one of the service's own clients at shutdown, after the producer and before the pool (ServiceResources). */
  closeWith(close: () => void | Promise<void>): void;
}

/** One service process, declared by its main.ts. */
export interface PostgresServiceProcess {
  config: PostgresServiceConfig;
  database: PostgresServiceDatabase;
  /** Its Nest app on the chassis (the service's bootstrap, over createPostgresServiceApp), with its own additions. */
  createApp(
    resources: ServiceAppResources,
    rpc: RpcListenerOptions,
    shutdown: ShutdownSettings,
  ): Promise<NestFastifyApplication>;
  /** Extra fields of the "ready" log line (never a secret). */
  readyLog?: Record<string, unknown>;
}

/**
 * Runs a PostgreSQL service process: `declare()` (the configuration is read there, so a bad one is reported like any
 * start-up failure), the resources (openServiceResources: migrations, pool, schema check, producer, relay), the Nest
 * app, `init()` before `startAllMicroservices()` (handlers wait for the init hooks), the management listener last
 * (a readiness probe never sees the service before it accepts calls), then the relay. Graceful shutdown
 * (nest-kit enableGracefulShutdown): readiness 503, the drain delay, the servers closed with their replies in flight,
 * then ServiceResources.close (relay stop and flush, producer, own clients, pool). A failed start is written to stderr
 * (the logger may not exist yet) and exits with code 1.
 */
export async function runPostgresService(
  service: PostgresServiceIdentity,
  declare: () => PostgresServiceProcess,
): Promise<void> {
  try {
    const { config, database, createApp, readyLog } = declare();
    const logger = createLogger(service.name, config.logLevel);
    const resources = await openServiceResources(service, config, database, logger);
    const app = await createApp(
      appResources(resources, config, service.audience, logger),
      withTls(config),
      config.shutdown,
    );
    await app.init();
    await app.startAllMicroservices();
    await listen(app, { management: { host: config.rpc.host, port: config.managementPort } }, logger);
    resources.relay.start();
    logger.info({ rpc: config.rpc, rpcTls: config.rpcTls.enabled, ...readyLog }, `${service.name} ready`);
  } catch (error) {
    process.stderr.write(`${service.name} failed to start: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

function appResources(
  resources: ServiceResources,
  config: PostgresServiceConfig,
  audience: string,
  logger: ServiceAppResources['logger'],
): ServiceAppResources {
  return {
    dataSource: resources.dataSource,
    logger,
    metrics: resources.metrics,
    publisher: resources.publisher,
    callers: new JwtVerifier(config.callerKeys, audience),
    idempotencyRetentionMs: config.idempotency.retentionMs,
    onShutdown: () => resources.close(),
    closeWith: (close) => resources.closeWith(close),
  };
}

/** The RPC listener with its TLS credentials, which travel apart from `config.rpc` (that one is logged). */
function withTls(config: PostgresServiceConfig): RpcListenerOptions {
  return { ...config.rpc, tls: config.rpcTls };
}
