import { LoggerService } from '@nestjs/common';
import { Logger as NestPinoLogger, Params, PinoLogger } from 'nestjs-pino';
import pino, { Logger } from 'pino';
import { loggableError } from './database-errors';
import { currentCorrelationId } from './request-context';

/** Paths never written to a log, whatever object they appear in. */
export const REDACTED_PATHS = [
  'password',
  'passwordHash',
  'password_hash',
  'token',
  'accessToken',
  'refreshToken',
  'authorization',
  '*.password',
  '*.passwordHash',
  '*.password_hash',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

/** Structured JSON logs with the app name and the current correlation id on every line. */
export function createLogger(
  app: string,
  level = process.env.LOG_LEVEL ?? 'info',
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    {
      level,
      base: { app },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // A failed statement's parameters and PostgreSQL's `detail` hold the row's values (emails, hashes).
      serializers: { err: (error: unknown) => pino.stdSerializers.err(loggableError(error) as Error) },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: () => {
        const correlationId = currentCorrelationId();
        return correlationId ? { correlationId } : {};
      },
    },
    destination,
  );
}

/**
 * Nest's own log lines (bootstrap, framework errors) as JSON through nestjs-pino's `Logger`, written by `logger`
 * (a pino from createLogger, so redaction, the err serializer and the correlation id apply to them too).
 * nestjs-pino builds its root with pino-http: `logger.child({})`, keeping the parent's serializers
 * (`wrapSerializers: false`; pino-http's wrapper would replace our err serializer and log SQL parameters).
 * No per-request access log: pino-http's middleware is not mounted (README "Logging").
 * nestjs-pino keeps that root per process, set by the first call: one app per process, as main.ts runs it.
 */
export function nestLogger(logger: Logger): LoggerService {
  const params: Params = { pinoHttp: { logger, wrapSerializers: false } };
  return new NestPinoLogger(new PinoLogger(params), params);
}
