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
