import { Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createHttpApp, ProblemDetailsFilter } from '@taskflow/nest-kit';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { GatewayConfig } from './config/gateway.config';
import { closeRequestBodies } from './http/closed-request-bodies';
import { GatewayProblemFilter } from './http/problem.exception';
import { securityHeaders } from './http/security-headers';

const EXPOSED_HEADERS = [
  'ETag',
  'Location',
  'Cache-Status',
  'Retry-After',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'RateLimit-Policy',
  'Idempotency-Replayed',
  'x-correlation-id',
];

/** Builds the gateway app (not listening yet), so tests and main share one wiring. */
export async function createGateway(config: GatewayConfig, logger: Logger): Promise<NestFastifyApplication> {
  // NestFactory accepts a dynamic module; createHttpApp's signature only names the class form.
  const root = AppModule.forRoot(config, logger) as unknown as Type<unknown>;
  const headers = await securityHeaders({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'", "'unsafe-inline'"],
      },
    },
  });
  const app = await createHttpApp(root, {
    logger,
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    requestTimeoutMs: config.http.requestTimeoutMs,
    headers,
    shutdown: config.shutdown,
  });
  app.useGlobalFilters(new GatewayProblemFilter(new ProblemDetailsFilter(logger)));
  app.setGlobalPrefix('api/v1');
  app.enableCors({
    origin: config.http.corsOrigins.length > 0 ? config.http.corsOrigins : false,
    exposedHeaders: EXPOSED_HEADERS,
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'If-Match',
      'If-None-Match',
      'Idempotency-Key',
      'x-correlation-id',
    ],
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
  });
  if (config.http.docs) {
    const document = closeRequestBodies(
      SwaggerModule.createDocument(
        app,
        new DocumentBuilder()
          .setTitle('TaskFlow API')
          .setVersion('1')
          .setLicense('MIT', 'https://opensource.org/license/mit')
          .setDescription('Errors are RFC 9457 application/problem+json. POSTs accept Idempotency-Key.')
          .addServer('/')
          .addBearerAuth()
          // Every operation needs the bearer token unless it says otherwise (register, login, refresh: security []).
          .addSecurityRequirements('bearer')
          .build(),
      ),
    );
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json', useGlobalPrefix: false });
  }
  return app;
}
