import { CommonErrorCodes } from '@taskflow/contracts';
import type { FastifyRequest } from 'fastify';
import { AppError } from './errors';

const FASTIFY_TOO_LARGE = 'FST_ERR_CTP_BODY_TOO_LARGE';

/**
 * Fastify's refusal of a body over the limit (`FST_ERR_CTP_BODY_TOO_LARGE`, by `Content-Length` or while reading;
 * Nest's adapter hands it on as the `cause` of an HttpException) as 413 `REQUEST.TOO_LARGE`, with the route's limit
 * in bytes in the detail and as `limitBytes`; `undefined` for any other error.
 */
export function bodyTooLarge(exception: unknown, request: FastifyRequest | undefined): AppError | undefined {
  const error = exception as { code?: unknown; cause?: { code?: unknown } } | null;
  if (error?.code !== FASTIFY_TOO_LARGE && error?.cause?.code !== FASTIFY_TOO_LARGE) return undefined;
  const limit = request?.routeOptions?.bodyLimit;
  return new AppError(
    'too_large',
    CommonErrorCodes.tooLarge,
    limit === undefined
      ? 'The request body is larger than the limit.'
      : `The request body is larger than the limit of ${limit} bytes.`,
    undefined,
    limit === undefined ? undefined : { limitBytes: limit },
  );
}
