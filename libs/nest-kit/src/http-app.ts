import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { PinoNestLogger } from './logger';
import { AppMetrics } from './metrics';
import { ProblemDetailsFilter } from './problem-details.filter';
import { acceptOrCreateCorrelationId, CORRELATION_HEADER, runWithContext } from './request-context';
import { createValidationPipe } from './validation';

export interface HttpAppOptions {
  logger: Logger;
  /** Largest accepted request body in bytes; larger → 413. */
  bodyLimit?: number;
  trustProxy?: boolean;
}

/**
 * Creates a NestJS app on Fastify with the house defaults: correlation ids, problem+json errors,
 * strict validation, request metrics, JSON logs and graceful shutdown.
 */
export async function createHttpApp(module: Type<unknown>, options: HttpAppOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimit ?? 100_000,
    trustProxy: options.trustProxy ?? false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: new PinoNestLogger(options.logger),
    bufferLogs: false,
  });
  installRequestHooks(app, options.logger);
  app.useGlobalFilters(new ProblemDetailsFilter(options.logger));
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  return app;
}

function installRequestHooks(app: NestFastifyApplication, logger: Logger): void {
  const fastify = app.getHttpAdapter().getInstance();
  const metrics = findMetrics(app);
  fastify.addHook('onRequest', (request, reply, done) => {
    const correlationId = acceptOrCreateCorrelationId(request.headers[CORRELATION_HEADER]);
    request.headers[CORRELATION_HEADER] = correlationId;
    void reply.header(CORRELATION_HEADER, correlationId);
    runWithContext({ correlationId }, done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics?.observeHttp(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
    if (reply.statusCode >= 500)
      logger.warn({ route, status: reply.statusCode, method: request.method }, 'server error');
    done();
  });
}

function findMetrics(app: NestFastifyApplication): AppMetrics | undefined {
  try {
    return app.get(AppMetrics, { strict: false });
  } catch {
    return undefined; // an app without OpsModule has no request metrics
  }
}

/** Listens on the configured port and logs where. */
export async function listen(app: INestApplication, port: number, host: string, logger: Logger): Promise<void> {
  await app.listen(port, host);
  logger.info({ port, host }, `listening on http://${host}:${port}`);
}
