import type { UserRole } from '../rules/roles';

/**
 * Who is asking, and the request facts that end up in event metadata, as a service's use cases see them. The
 * actor and session come from the verified credential of the call, never from the message body.
 */
export interface RpcContext {
  /** Absent for anonymous operations (register, authenticate). */
  actor?: { id: string; role: UserRole };
  correlationId?: string;
  sessionId?: string;
  ipAddress?: string;
  userAgent?: string;
  /**
   * The client's `Idempotency-Key` on a route the gateway treats as idempotent. A write that carries it is
   * recorded with the key in its own transaction and answered once: a retry gets the original result.
   */
  idempotencyKey?: string;
}

/**
 * The `context` as it travels: `credential` is a short-lived ES256 token the gateway mints for the receiving
 * service (`aud`), carrying the actor (`sub`, `role`) and session (`sid`); the service verifies it with the
 * gateway's public keys and refuses a call without one.
 */
export interface RpcWireContext {
  credential: string;
  correlationId?: string;
  ipAddress?: string;
  userAgent?: string;
  /** The client's Idempotency-Key (validated, IDEMPOTENCY_KEY_FORMAT) on a write the service records with it. */
  idempotencyKey?: string;
}

/**
 * `Idempotency-Key` values the system accepts (draft-ietf-httpapi-idempotency-key-header: an sf-string;
 * here 1-255 visible ASCII characters), and the failures it answers.
 */
export const IDEMPOTENCY_KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;
export const IdempotencyErrorCodes = {
  invalidKey: 'IDEMPOTENCY.INVALID_KEY',
  /** The key was first used with another request (kind `unprocessable`, 422). */
  keyReused: 'IDEMPOTENCY.KEY_REUSED',
  /** A request with the key is still running (409 with Retry-After). */
  inProgress: 'IDEMPOTENCY.IN_PROGRESS',
} as const;

/** Every RPC request body: the context plus the operation's own data. */
export interface RpcRequest<T> {
  context: RpcWireContext;
  data: T;
}
