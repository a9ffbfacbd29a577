import { RpcContext } from '@taskflow/contracts';
import { currentCorrelationId } from '@taskflow/nest-kit';
import type { FastifyRequest } from 'fastify';
import type { AuthUser } from '../auth/auth.decorators';
import { forwardedIdempotencyKey } from './idempotency.interceptor';

/** The facts every service call carries: who asks, and what ends up in event metadata. */
export function rpcContext(request: FastifyRequest, user?: AuthUser, sessionId = user?.sessionId): RpcContext {
  const userAgent = request.headers['user-agent'];
  return {
    ...(user ? { actor: { id: user.id, role: user.role } } : {}),
    correlationId: currentCorrelationId(),
    sessionId,
    ipAddress: request.ip,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 256) : undefined,
    idempotencyKey: forwardedIdempotencyKey(request),
  };
}
