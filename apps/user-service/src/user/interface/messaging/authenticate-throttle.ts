import { CacheKeys, hitRateLimits, RateLimitDecision, RateLimitRule } from '@taskflow/cache';
import { UserErrorCodes } from '@taskflow/contracts';
import { AppError, HealthCheck } from '@taskflow/nest-kit';
import type { Redis } from 'ioredis';

/** Attempts of `user.authenticate` allowed per minute (user-service config `authenticateThrottle`). */
export interface AuthenticateLimits {
  perEmailPerMinute: number;
  perSourcePerMinute: number;
}

/**
 * user-service's own throttle on `user.authenticate`: the gateway's HTTP login limit does not cover a caller that
 * reaches the RPC port with a valid call credential (issue 12: 40 guesses in 11 s). Fixed one-minute windows per
 * account (email) and per RPC peer (the connection's remote address), counted in Redis by the gateway's rate-limit
 * script (@taskflow/cache hitRateLimits), every attempt counting, right password or not.
 *
 * Over the limit: AppError `rate_limited` (the gateway answers 429 with Retry-After from `retryAfterSeconds`).
 * Redis down: the attempt is let through, as the gateway's limits fail open (bcrypt still bounds the pace).
 */
export class AuthenticateThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly limits: AuthenticateLimits,
  ) {}

  /** Counts one attempt for `email` from `source`; throws when either window is exhausted. */
  async hit(email: string, source: string): Promise<void> {
    const rules: RateLimitRule[] = [
      {
        scope: 'email',
        key: CacheKeys.rateLimitAuthenticateEmailMinute(email),
        limit: this.limits.perEmailPerMinute,
        windowSeconds: 60,
      },
      {
        scope: 'source',
        key: CacheKeys.rateLimitAuthenticateSourceMinute(source),
        limit: this.limits.perSourcePerMinute,
        windowSeconds: 60,
      },
    ];
    if (this.redis.status !== 'ready') return;
    let decision: RateLimitDecision;
    try {
      decision = await hitRateLimits(this.redis, rules);
    } catch {
      return;
    }
    if (!decision.allowed) {
      throw new AppError(
        'rate_limited',
        UserErrorCodes.authenticateThrottled,
        `Too many sign-in attempts (${decision.scope} limit); try again in ${decision.resetSeconds} s.`,
        undefined,
        { retryAfterSeconds: decision.resetSeconds },
      );
    }
  }

  /** Readiness: degraded (not down) without Redis, since the throttle then lets attempts through. */
  healthCheck(): HealthCheck {
    return {
      name: 'redis',
      kind: 'cache',
      critical: false,
      check: async () => {
        if (this.redis.status !== 'ready') throw new Error(`redis ${this.redis.status}`);
        await this.redis.ping();
      },
    };
  }
}
