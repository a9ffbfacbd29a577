import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CacheKeys, hitRateLimits, RateLimitRule, rateLimitHeaders } from '@taskflow/cache';
import { UserRole } from '@taskflow/contracts';
import type { FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, GatewayConfig } from '../config/gateway.config';
import { ProblemException } from '../http/problem.exception';
import { GatewayMetrics } from '../infrastructure/gateway-metrics';
import { LOGGER, REDIS } from '../infrastructure/redis.module';
import { AccessClaims, AccessTokens } from './access-tokens';
import { AuthedRequest, AuthUser, IS_PUBLIC, LOGIN_THROTTLE, ROLES } from './auth.decorators';
import { SessionStore } from './session.store';

const QUERY_TOKEN_NAMES = ['access_token', 'token', 'jwt', 'authorization'];
const unauthorized = (code: string, detail: string) =>
  new ProblemException(401, code, detail, { 'WWW-Authenticate': 'Bearer' });

/**
 * One global guard, in a fixed order: authenticate (token + live session), count the request
 * against the rate limits (one Redis round trip), then check the route's roles.
 */
@Injectable()
export class GatewayGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokens,
    private readonly sessions: SessionStore,
    private readonly metrics: GatewayMetrics,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const flag = <T>(key: string) =>
      this.reflector.getAllAndOverride<T>(key, [context.getHandler(), context.getClass()]);
    if (!request.routeOptions.url?.startsWith('/api/')) return true; // ops endpoints: health, metrics, docs

    const query = request.query as Record<string, unknown> | undefined;
    if (query && QUERY_TOKEN_NAMES.some((name) => name in query)) {
      throw unauthorized('AUTH.TOKEN_IN_QUERY', 'Send the access token in the Authorization header, never in the URL.');
    }
    const claims = flag<boolean>(IS_PUBLIC) ? undefined : this.verifyToken(request);
    const verified = claims instanceof ProblemException ? undefined : claims;
    // The session lookup and the rate-limit script go out together: one Redis round trip, not two.
    // Counting by the verified `sub` before the session check is safe: the signature proves it.
    const [session] = await Promise.all([
      verified ? this.checkSession(verified) : undefined,
      this.countRequest(request, reply, flag<boolean>(LOGIN_THROTTLE) ?? false, verified?.sub),
    ]);
    if (claims instanceof ProblemException) throw claims;
    if (session instanceof ProblemException) throw session;
    request.user = session;

    const roles = flag<UserRole[]>(ROLES);
    if (roles && !roles.includes(request.user!.role)) {
      throw new ProblemException(403, 'AUTH.FORBIDDEN', 'Your role may not use this operation.');
    }
    return true;
  }

  private verifyToken(request: AuthedRequest): AccessClaims | ProblemException {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9._-]{1,4096})$/.exec(header) : null;
    if (!match) return unauthorized('AUTH.MISSING_TOKEN', 'A Bearer access token is required.');
    return (
      this.tokens.verify(match[1]) ?? unauthorized('AUTH.INVALID_TOKEN', 'The access token is invalid or expired.')
    );
  }

  private async checkSession(claims: AccessClaims): Promise<AuthUser | ProblemException> {
    const user: AuthUser = { id: claims.sub, role: claims.role, sessionId: claims.sid };
    try {
      const session = await this.sessions.find(claims.sid);
      if (!session || session.userId !== claims.sub) {
        return unauthorized('AUTH.SESSION_ENDED', 'The session of this token has ended; log in again.');
      }
      return { ...user, role: session.role };
    } catch {
      // Session store down: see README "Failure directions".
      if (this.config.auth.sessionFailureMode === 'open') {
        this.logger.warn({ userId: user.id }, 'session store down: accepting a valid token without a session check');
        return user;
      }
      return new ProblemException(503, 'AUTH.SESSION_STORE_UNAVAILABLE', 'Sessions cannot be checked right now.', {
        'Retry-After': '5',
      });
    }
  }

  private async countRequest(request: AuthedRequest, reply: FastifyReply, login: boolean, userId?: string) {
    const { rateLimit } = this.config;
    const rules: RateLimitRule[] = [
      { scope: 'ip', key: CacheKeys.rateLimitIpHour(request.ip), limit: rateLimit.ipPerHour, windowSeconds: 3600 },
    ];
    if (userId) {
      rules.push({
        scope: 'user',
        key: CacheKeys.rateLimitUserMinute(userId),
        limit: rateLimit.userPerMinute,
        windowSeconds: 60,
      });
    }
    if (login) {
      rules.push({
        scope: 'login',
        key: CacheKeys.rateLimitLoginIpMinute(request.ip),
        limit: rateLimit.loginPerMinute,
        windowSeconds: 60,
      });
    }
    if (this.redis.status !== 'ready') return; // limits fail open: see README "Failure directions"
    let decision;
    try {
      decision = await hitRateLimits(this.redis, rules);
    } catch {
      return;
    }
    const headers = rateLimitHeaders(decision);
    if (!decision.allowed) {
      this.metrics.rateLimitRejections.inc({ scope: decision.scope });
      throw new ProblemException(429, 'RATE_LIMIT.EXCEEDED', `Too many requests (${decision.scope} limit).`, headers);
    }
    void reply.headers(headers);
  }
}
