import type { IncomingHttpHeaders } from 'node:http';
import { CommonErrorCodes } from '@taskflow/contracts';
import { AppError } from './errors';

/** The one media type our HTTP APIs read, as named in a 415's detail. */
export const ACCEPTED_MEDIA_TYPE = 'application/json';

/** `application/json` or a structured-syntax `+json` type (RFC 6839 §3.1), e.g. `application/merge-patch+json`. */
const JSON_MEDIA_TYPE = /^application\/(?:json|[a-z0-9!#$&^_.+-]+\+json)$/;

/** The body parser registrations (Fastify matches a RegExp against the whole lower-cased Content-Type). */
export const JSON_BODY_TYPES: (string | RegExp)[] = [
  'application/json',
  /^application\/[a-z0-9!#$&^_.+-]+\+json(?:\s*;|$)/,
];

/**
 * Whether a request carries a body (RFC 9112 §6.3): a `Transfer-Encoding`, or a `Content-Length` other than 0.
 * An empty body is no body, whatever its `Content-Type` (generated clients send one on every DELETE).
 */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && Number(length) !== 0;
}

/**
 * Checks a request body's `Content-Type` before the body is read: it must be `application/json` or an
 * `application/*+json` type, with no charset or `charset=utf-8` (case-insensitive, quoted or not; RFC 8259 §8.1:
 * JSON between systems is UTF-8). Returns 415 `REQUEST.UNSUPPORTED_MEDIA_TYPE` naming the accepted type, or
 * `undefined` when the type is accepted. A form (`application/x-www-form-urlencoded`), `text/plain`, another
 * charset or a missing `Content-Type` is refused, never parsed into a body the handlers would misread.
 */
export function unsupportedMediaType(contentType: string | undefined): AppError | undefined {
  const [type = '', ...parameters] = (contentType ?? '').split(';');
  const charsetOk = parameters.every((parameter) => {
    const [name, value = ''] = parameter.split('=');
    if (name.trim().toLowerCase() !== 'charset') return true;
    return (
      value
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase() === 'utf-8'
    );
  });
  if (JSON_MEDIA_TYPE.test(type.trim().toLowerCase()) && charsetOk) return undefined;
  return new AppError(
    'unsupported_media_type',
    CommonErrorCodes.unsupportedMediaType,
    `The request body must be ${ACCEPTED_MEDIA_TYPE} (UTF-8); got ${contentType === undefined ? 'no Content-Type' : JSON.stringify(contentType)}.`,
  );
}
