import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp } from '@taskflow/nest-kit';
import type { Logger } from 'pino';
import { createAppModule } from './app.module';
import { KafkaBatchServer } from './audit/infrastructure/messaging/kafka-batch.server';
import { AuditConfig } from './config/audit.config';

/**
 * One Nest app: the HTTP query API (and health, metrics) plus the Kafka ingest as a microservice on the
 * KafkaBatchServer transport. `init()` runs the migrations; `startAllMicroservices()` then starts consuming.
 */
export async function createAuditApp(config: AuditConfig, logger: Logger): Promise<NestFastifyApplication> {
  const app = await createHttpApp(createAppModule(config, logger), { logger, shutdown: config.shutdown });
  // Not inheriting the HTTP app's config: problem+json filters and validation pipes are HTTP concerns.
  if (config.kafka.ingestEnabled) app.connectMicroservice({ strategy: app.get(KafkaBatchServer) });
  return app;
}

/** Creates, initialises (migrations) and starts consuming; the caller decides whether to listen on HTTP. */
export async function startAuditApp(config: AuditConfig, logger: Logger): Promise<NestFastifyApplication> {
  const app = await createAuditApp(config, logger);
  await app.init();
  await app.startAllMicroservices();
  return app;
}
