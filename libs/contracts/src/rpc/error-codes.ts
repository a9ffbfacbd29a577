/**
 * Stable error codes shared by the services and the gateway. A service answers an RPC failure as
 * `RpcErrorBody`; the gateway maps `kind` to an HTTP status (see nest-kit's problem filter).
 */
export type ErrorKind =
  | 'validation'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'unauthorized'
  | 'precondition_failed'
  /** Well-formed but not processable as sent, e.g. an Idempotency-Key reused with another request (422). */
  | 'unprocessable'
  /** A conditional request without its condition (HTTP 428, RFC 6585). */
  | 'precondition_required'
  /** Too many attempts (HTTP 429); `details.retryAfterSeconds` says when to try again. */
  | 'rate_limited'
  /** A request body in a media type the API does not read (HTTP 415). */
  | 'unsupported_media_type'
  /** A request body larger than the limit (HTTP 413). */
  | 'too_large'
  | 'unavailable';

export interface FieldError {
  field: string;
  reason: string;
}

export interface RpcErrorBody {
  kind: ErrorKind;
  /** e.g. `TASK.NOT_FOUND`, `TASK.VERSION_CONFLICT`, `USER.EMAIL_TAKEN`. */
  code: string;
  message: string;
  fieldErrors?: FieldError[];
  /** Extra facts a client may act on, e.g. `{ currentVersion: 4 }` on a version conflict. */
  details?: Record<string, unknown>;
}

export function isRpcErrorBody(value: unknown): value is RpcErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as RpcErrorBody).kind === 'string' &&
    typeof (value as RpcErrorBody).code === 'string'
  );
}

/**
 * The request, authentication and platform error codes every app may answer with; each service's own codes are
 * in its contract (`UserErrorCodes`, `TaskErrorCodes`, `IdempotencyErrorCodes`, the audit API's). One table, so two
 * apps never spell one failure two ways.
 */
export const CommonErrorCodes = {
  /** A field is missing or breaks its rule; `fieldErrors` names each (400). */
  validation: 'REQUEST.VALIDATION_FAILED',
  /** The request is not valid HTTP/1.1, or its body not JSON or carrying a prototype-poisoning key (400). */
  malformed: 'REQUEST.MALFORMED',
  /** The JSON body nests deeper than the limit (400). */
  tooDeep: 'REQUEST.TOO_DEEP',
  /** A request body that is not `application/json` (or `application/*+json`) in UTF-8 (415). */
  unsupportedMediaType: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  /** A request body larger than the limit; the detail names the limit in bytes (413). */
  tooLarge: 'REQUEST.TOO_LARGE',
  /** The request was not received in time (408). */
  timeout: 'REQUEST.TIMEOUT',
  /** A body, query string or path that is not UTF-8 (400). */
  invalidEncoding: 'REQUEST.INVALID_ENCODING',
  /** The request headers are too large (431). */
  headersTooLarge: 'REQUEST.HEADERS_TOO_LARGE',
  /** The URL is malformed or too long (400). */
  badUrl: 'REQUEST.BAD_URL',
  /** No bearer token (401). */
  missingToken: 'AUTH.MISSING_TOKEN',
  /** The token is invalid, expired or for another audience (401). */
  invalidToken: 'AUTH.INVALID_TOKEN',
  /** A token in the URL, where it would be logged (400). */
  tokenInQuery: 'AUTH.TOKEN_IN_QUERY',
  /** The refresh token is unknown, expired or already used (401). */
  invalidRefreshToken: 'AUTH.INVALID_REFRESH_TOKEN',
  /** The token's session was ended (logout, refresh replay) (401). */
  sessionEnded: 'AUTH.SESSION_ENDED',
  /** The session store (Redis) does not answer (503). */
  sessionStoreUnavailable: 'AUTH.SESSION_STORE_UNAVAILABLE',
  /** The caller's role lacks the permission (403). */
  forbidden: 'AUTH.FORBIDDEN',
  /** An RPC call without a valid per-call credential (unauthorized). */
  credentialInvalid: 'RPC.CREDENTIAL_INVALID',
  /** The database does not answer; retry later (503). */
  databaseUnavailable: 'DATABASE.UNAVAILABLE',
  /** Too many requests; `Retry-After` says when to retry (429). */
  rateLimited: 'RATE_LIMIT.EXCEEDED',
} as const;
