import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  CacheKeys,
  countAndRead,
  decideFromReply,
  decideSession,
  RateLimitRule,
  rateLimitHeaders,
} from '@taskflow/cache';
import { CommonErrorCodes, hasPermission, Permission } from '@taskflow/contracts';
import type { FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, GatewayConfig } from '../config/gateway.config';
import { PREFETCH, PrefetchingRequest, PrefetchKey } from '../http/prefetch';
import { ProblemException } from '../http/problem.exception';
import { rpcContext } from '../http/rpc-context';
import { GatewayMetrics } from '../infrastructure/gateway-metrics';
import { LOGGER, REDIS } from '../infrastructure/redis.module';
import { AccessClaims, AccessTokens } from './access-tokens';
import { AuthedRequest, AuthUser, IS_PUBLIC, LOGIN_THROTTLE, PERMISSION } from './auth.decorators';
import { PermissionsStore } from './permissions';

const QUERY_TOKEN_NAMES = ['access_token', 'token', 'jwt', 'authorization'];
const unauthorized = (code: string, detail: string) =>
  new ProblemException(401, code, detail, { 'WWW-Authenticate': 'Bearer' });

/**
 * One global guard, in a fixed order: authenticate (token + live session), count the request
 * against the rate limits, then check the route's permission (`hasPermission`, libs/contracts rules/roles.ts). Session, counters and the route's
 * prefetched cache key (`@PrefetchCache`) are read in one Redis command.
 */
@Injectable()
export class GatewayGuard implements CanActivate {
  private lastSkipWarning = 0;

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokens,
    private readonly metrics: GatewayMetrics,
    private readonly permissions: PermissionsStore,
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
    if (!request.routeOptions.url?.startsWith('/api/')) return true; // the API document (/docs); ops: management port

    const query = request.query as Record<string, unknown> | undefined;
    if (query && QUERY_TOKEN_NAMES.some((name) => name in query)) {
      throw unauthorized(
        CommonErrorCodes.tokenInQuery,
        'Send the access token in the Authorization header, never in the URL.',
      );
    }
    const claims = flag<boolean>(IS_PUBLIC) ? undefined : this.verifyToken(request);
    const verified = claims instanceof ProblemException ? undefined : claims;
    // Counting by the verified `sub` before the session check is safe: the signature proves it.
    const rules = this.rulesFor(request, flag<boolean>(LOGIN_THROTTLE) ?? false, verified?.sub);
    const reads = this.config.redis.cacheEnabled; // CACHE_ENABLED=false: no read-through, role from the session
    const prefetchKey = verified && reads ? flag<PrefetchKey>(PREFETCH)?.(request) : undefined;
    const { counters, values } = await this.lookup(rules, {
      session: verified && CacheKeys.session(verified.sid),
      permissions: verified && reads ? CacheKeys.userPermissions(verified.sub) : undefined,
      prefetch: prefetchKey,
    });
    if (counters) this.enforce(rules, counters, reply);
    if (claims instanceof ProblemException) throw claims;
    if (!verified) return true;

    const user = this.checkSession(verified, values.session);
    // Redis unreachable (or reads off): the session's, else the token's, role is the last one known.
    if (values.permissions !== undefined) {
      user.role = (await this.permissions.resolve(user, values.permissions, () => rpcContext(request, user))).role;
    }
    request.user = user;
    if (prefetchKey && values.prefetch !== undefined) {
      (request as PrefetchingRequest).prefetched = { key: prefetchKey, raw: values.prefetch };
    }
    const required = flag<Permission>(PERMISSION);
    if (required && !hasPermission(user.role, required)) {
      throw new ProblemException(403, CommonErrorCodes.forbidden, 'Your role may not use this operation.');
    }
    return true;
  }

  private verifyToken(request: AuthedRequest): AccessClaims | ProblemException {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9._-]{1,4096})$/i.exec(header) : null;
    if (!match) return unauthorized(CommonErrorCodes.missingToken, 'A Bearer access token is required.');
    return (
      this.tokens.verify(match[1]) ??
      unauthorized(CommonErrorCodes.invalidToken, 'The access token is invalid or expired.')
    );
  }

  /**
   * The rate-limit counters and the values of `keys`, in one Redis command (the rate-limit script
   * reads them too). A key's value is a string, null when absent, or undefined when Redis did not
   * answer (and then the counters are missing too: limits fail open).
   */
  private async lookup<K extends string>(
    rules: RateLimitRule[],
    keys: Record<K, string | undefined>,
  ): Promise<{ counters?: number[]; values: Partial<Record<K, string | null>> }> {
    const values: Partial<Record<K, string | null>> = {};
    if (this.redis.status !== 'ready') return { values }; // README "Failure directions"
    const names = (Object.keys(keys) as K[]).filter((name) => keys[name] !== undefined);
    try {
      const reply = await countAndRead(
        this.redis,
        rules,
        names.map((name) => keys[name]!),
      );
      const counted = rules.length * 2;
      names.forEach((name, i) => (values[name] = (reply[counted + i] as string | null) ?? null));
      return { counters: reply.slice(0, counted) as number[], values };
    } catch {
      return { values };
    }
  }

  /**
   * The shared session rule (decideSession, also audit-service's); the current role is resolved after it through
   * PermissionsStore (read-through from user-service). `raw` undefined: Redis did not answer.
   */
  private checkSession(claims: AccessClaims, raw: string | null | undefined): AuthUser {
    const user: AuthUser = { id: claims.sub, role: claims.role, sessionId: claims.sid };
    const decision = decideSession({ userId: claims.sub, sessionId: claims.sid }, raw);
    if (decision.outcome === 'unavailable') {
      if (this.config.auth.sessionFailureMode === 'open') {
        this.metrics.sessionChecksSkipped.inc();
        // One line per 10 s: a warning per request would flood the log for the whole outage.
        if (Date.now() - this.lastSkipWarning >= 10_000) {
          this.lastSkipWarning = Date.now();
          this.logger.warn('session store down: serving valid tokens without the session check');
        }
        return user;
      }
      throw new ProblemException(
        503,
        CommonErrorCodes.sessionStoreUnavailable,
        'Sessions cannot be checked right now.',
        {
          'Retry-After': '5',
        },
      );
    }
    if (decision.outcome === 'ended') {
      throw unauthorized(CommonErrorCodes.sessionEnded, 'The session of this token has ended; log in again.');
    }
    return { ...user, role: decision.role };
  }

  private rulesFor(request: AuthedRequest, login: boolean, userId?: string): RateLimitRule[] {
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
    return rules;
  }

  private enforce(rules: RateLimitRule[], counters: number[], reply: FastifyReply): void {
    const decision = decideFromReply(rules, counters);
    const headers = rateLimitHeaders(decision);
    if (!decision.allowed) {
      this.metrics.rateLimitRejections.inc({ scope: decision.scope });
      throw new ProblemException(
        429,
        CommonErrorCodes.rateLimited,
        `Too many requests (${decision.scope} limit).`,
        headers,
      );
    }
    void reply.headers(headers);
  }
}
