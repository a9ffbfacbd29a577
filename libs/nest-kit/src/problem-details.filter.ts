import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import { CommonErrorCodes, FieldError, isRpcErrorBody } from '@taskflow/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { bodyTooLarge } from './body-limit';
import { databaseUnavailable, isDatabaseUnavailable } from './database-unavailable';
import { databaseClientError } from './database-errors';
import { AppError, HTTP_STATUS_BY_KIND } from './errors';
import { currentCorrelationId } from './request-context';

/** RFC 9457 problem+json, the one error body of every HTTP endpoint. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  correlationId?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(
  status: number,
  code: string,
  detail: string,
  extra: Partial<ProblemDetails> = {},
): ProblemDetails {
  return {
    type: `https://taskflow.dev/problems/${code.toLowerCase().replace(/[._]/g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    correlationId: currentCorrelationId(),
    ...extra,
  };
}

/** Maps anything thrown to problem+json. Unknown errors are logged with their cause and shown as a generic 500. */
export function toProblem(exception: unknown): ProblemDetails {
  const error = isRpcErrorBody(exception)
    ? AppError.fromRpcBody(exception)
    : isDatabaseUnavailable(exception)
      ? databaseUnavailable()
      : (databaseClientError(exception) ?? exception);
  if (error instanceof AppError) {
    return problem(HTTP_STATUS_BY_KIND[error.kind], error.code, error.message, {
      ...(error.fieldErrors?.length ? { errors: error.fieldErrors } : {}),
      ...(error.details ?? {}),
    });
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return problem(status, `HTTP.${status}`, httpExceptionMessage(error));
  }
  const fastifyError = error as { statusCode?: number; code?: string; message?: string };
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    // Fastify's own client errors: bad JSON, body too large, unsupported media type.
    return problem(
      fastifyError.statusCode,
      `HTTP.${fastifyError.code ?? fastifyError.statusCode}`,
      fastifyError.message ?? 'Bad request',
    );
  }
  return problem(HttpStatus.INTERNAL_SERVER_ERROR, 'INTERNAL', 'An unexpected error occurred.');
}

function httpExceptionMessage(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  return Array.isArray(message) ? message.join('; ') : String(message ?? error.message);
}

/** Retry-After of a 503 that names none: a dependency is down or missed its deadline; retry soon. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const body = toProblem(bodyTooLarge(exception, request) ?? exception);
    if (body.code === CommonErrorCodes.databaseUnavailable) {
      this.logger.warn(
        { err: exception, method: request?.method, url: request?.url },
        'request failed: database unavailable',
      );
    } else if (body.status >= 500) {
      this.logger.error({ err: exception, method: request?.method, url: request?.url }, 'request failed');
    }
    const headers = (exception as { headers?: Record<string, string> })?.headers;
    if (headers) reply.headers(headers);
    // A service's 429 (e.g. user-service's authenticate throttle) names its wait in the body; HTTP wants the header.
    if (body.status === 429 && typeof body.retryAfterSeconds === 'number' && !reply.hasHeader('retry-after')) {
      void reply.header('Retry-After', String(body.retryAfterSeconds));
    }
    if (body.status === 503 && !reply.hasHeader('retry-after')) {
      void reply.header('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
    }
    void reply.status(body.status).header('content-type', 'application/problem+json').send(body);
  }
}
