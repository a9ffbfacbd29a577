import { CommonErrorCodes } from '@taskflow/contracts';
import { AppError } from './errors';

const PROTOTYPE_POISONING = /forbidden (prototype|constructor) property/;

/**
 * The error for a request body Fastify's JSON parser (secure-json-parse) refused, as 400 `REQUEST.MALFORMED`:
 * either not JSON at all (RFC 8259; the parser's reason is kept, e.g. "Unexpected end of JSON input"), or JSON
 * with a `__proto__` or `constructor.prototype` key, refused rather than stripped so that no handler ever sees
 * what the client meant by it.
 */
export function malformedJsonBody(error: Error): AppError {
  const detail = PROTOTYPE_POISONING.test(error.message)
    ? 'The request body may not contain a "__proto__" or "constructor": {"prototype": …} key.'
    : `The request body is not valid JSON (RFC 8259): ${error.message}.`;
  return new AppError('validation', CommonErrorCodes.malformed, detail);
}
