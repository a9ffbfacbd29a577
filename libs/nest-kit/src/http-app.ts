import { CommonErrorCodes } from '@taskflow/contracts';
import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest, RawServerDefault } from 'fastify';
import type { Logger } from 'pino';
import type { ProxyTrust, ShutdownSettings } from '@taskflow/config';
import { isUtf8 } from 'node:buffer';
import { parse as parseJson } from 'secure-json-parse';
import { clientErrorHandler } from './client-error';
import { invalidBodyEncoding, urlEncodingError } from './encoding';
import { drainServerOptions, enableGracefulShutdown, IMMEDIATE_SHUTDOWN } from './graceful-shutdown';
import { exceedsDepth } from './json-depth';
import { malformedJsonBody } from './json-body';
import { nestLogger } from './logger';
import { ListenAddress, managementServer } from './management';
import { hasBody, JSON_BODY_TYPES, unsupportedMediaType } from './media-type';
import { AppMetrics } from './metrics';
import { problem, ProblemDetailsFilter, toProblem } from './problem-details.filter';
import { acceptOrCreateCorrelationId, CORRELATION_HEADER, runWithContext } from './request-context';
import { createValidationPipe } from './validation';

/** No request body of ours nests more than a few levels; deeper is an attack on the recursive validators. */
const MAX_BODY_DEPTH = 32;

export interface HttpAppOptions {
  logger: Logger;
  /** Largest accepted request body in bytes; larger → 413. */
  bodyLimit?: number;
  trustProxy?: ProxyTrust;
  /**
   * Longest time a client may take to send a whole request (headers and body); a slower one gets 408
   * and the socket is closed, so slow-body clients cannot hold connections open. 0 turns it off.
   */
  requestTimeoutMs?: number;
  /** Static headers for every response, including the router's own errors (bad URL 400, long param 414). */
  headers?: Record<string, string>;
  /** Keep-alive timeout and the drain on SIGTERM (libs/config shutdownConfigSpec); default: no drain delay. */
  shutdown?: ShutdownSettings;
}

/**
 * Creates a NestJS app on Fastify with the house defaults: correlation ids, problem+json errors,
 * strict validation, request metrics, JSON logs and graceful shutdown (see enableGracefulShutdown).
 */
export async function createHttpApp(module: Type<unknown>, options: HttpAppOptions): Promise<NestFastifyApplication> {
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const headers = options.headers ?? {};
  const shutdown = options.shutdown ?? IMMEDIATE_SHUTDOWN;
  const adapter = new FastifyAdapter({
    ...drainServerOptions(shutdown),
    bodyLimit: options.bodyLimit ?? 100_000,
    trustProxy: options.trustProxy ?? false,
    requestTimeout,
    // Node checks request/header deadlines only every connectionsCheckingInterval (default 30 s).
    http: {
      requestTimeout,
      headersTimeout: requestTimeout > 0 ? Math.min(requestTimeout, 60_000) : 60_000,
      connectionsCheckingInterval: requestTimeout > 0 ? Math.min(1000, requestTimeout) : 30_000,
    },
    clientErrorHandler: clientErrorHandler(headers),
    // The router rejects a malformed URL or an over-long parameter before any hook or filter runs; a path
    // that is not UTF-8 once percent-decoded gets the answer the query string gets (see urlEncodingError).
    frameworkErrors: (error: Error & { statusCode?: number }, request: FastifyRequest, reply: FastifyReply) => {
      const status = error.statusCode ?? 400;
      const badEncoding = status === 400 ? urlEncodingError(request.url) : undefined;
      void reply
        .status(status)
        .headers(headers)
        .header('content-type', 'application/problem+json')
        .send(
          badEncoding
            ? toProblem(badEncoding)
            : problem(status, CommonErrorCodes.badUrl, 'The request URL is malformed or too long.'),
        );
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: nestLogger(options.logger),
    bufferLogs: false,
    // Nest would add a form (application/x-www-form-urlencoded) parser: the API reads JSON only (installRequestHooks).
    bodyParser: false,
  });
  installRequestHooks(app, options.logger, headers);
  app.useGlobalFilters(new ProblemDetailsFilter(options.logger));
  app.useGlobalPipes(createValidationPipe());
  enableGracefulShutdown(app, shutdown, options.logger);
  return app;
}

function installRequestHooks(app: NestFastifyApplication, logger: Logger, headers: Record<string, string>): void {
  const fastify = app.getHttpAdapter().getInstance();
  const metrics = findMetrics(app);
  // Many generated clients send `Content-Type: application/json` on every request, also a DELETE without a
  // body: an empty body is no body. Bytes that are not UTF-8 are refused, not decoded with U+FFFD; anything
  // else is parsed by secure-json-parse (Fastify's own parser, whose error would not say why) refusing
  // prototype-poisoning keys. The only parsers are ours: Fastify's text/plain one would hand handlers a string.
  fastify.removeAllContentTypeParsers();
  for (const type of JSON_BODY_TYPES) {
    app.useBodyParser<RawServerDefault>(type, { bodyLimit: fastify.initialConfig.bodyLimit }, (request, body, done) => {
      if (body.length === 0) return done(null, undefined);
      if (!isUtf8(body as unknown as Buffer)) return done(invalidBodyEncoding(), undefined);
      try {
        done(null, parseJson(body, { protoAction: 'error', constructorAction: 'error' }));
      } catch (error) {
        done(malformedJsonBody(error as Error), undefined);
      }
    });
  }
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(headers);
    const correlationId = acceptOrCreateCorrelationId(request.headers[CORRELATION_HEADER]);
    request.headers[CORRELATION_HEADER] = correlationId;
    void reply.header(CORRELATION_HEADER, correlationId);
    runWithContext({ correlationId }, () => {
      // Before the query parser replaces invalid percent-encoded UTF-8 with U+FFFD, and before a body is read.
      const refused =
        urlEncodingError(request.url) ??
        (hasBody(request.headers) ? unsupportedMediaType(request.headers['content-type']) : undefined);
      if (!refused) return done();
      const body = toProblem(refused);
      void reply.status(body.status).header('content-type', 'application/problem+json').send(body);
    });
  });
  fastify.addHook('preValidation', (request, reply, done) => {
    if (typeof request.body !== 'object' || !exceedsDepth(request.body, MAX_BODY_DEPTH)) return done();
    void reply
      .status(400)
      .header('content-type', 'application/problem+json')
      .send(problem(400, CommonErrorCodes.tooDeep, `The body nests deeper than ${MAX_BODY_DEPTH} levels.`));
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

/**
 * Listens on the public port (when given), then on the management port (ManagementServer: health, status, metrics),
 * so a readiness probe never sees the app before it accepts traffic. Logs both addresses.
 */
export async function listen(
  app: INestApplication,
  addresses: { public?: ListenAddress; management: ListenAddress },
  logger: Logger,
): Promise<void> {
  if (addresses.public) {
    const { port, host } = addresses.public;
    await app.listen(port, host);
    logger.info({ port, host }, `listening on http://${host}:${port}`);
  }
  await managementServer(app).listen(addresses.management);
  const { port, host } = addresses.management;
  logger.info({ port, host }, `management (health, status, metrics) on http://${host}:${port}`);
}
