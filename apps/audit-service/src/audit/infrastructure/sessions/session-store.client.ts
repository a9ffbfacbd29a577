import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { checkSession, createRedisClient, SessionClaims, SessionDecision } from '@taskflow/cache';
import { redisTlsOptions } from '@taskflow/config';
import { HealthRegistry } from '@taskflow/nest-kit';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AuditConfig } from '../../../config/audit.config';
import { AUDIT_CONFIG, LOGGER } from '../../tokens';

/**
 * The gateway's session store (Redis, REDIS_URL), read-only: whether an access token's session is still live and
 * what its user's role is now, decided by @taskflow/cache checkSession, the rule the gateway applies. A token
 * whose session ended (logout) or whose user was demoted no longer opens audit-service's own port.
 */
@Injectable()
export class SessionStoreClient implements OnModuleInit, OnApplicationShutdown {
  private readonly redis: Redis;

  constructor(
    @Inject(AUDIT_CONFIG) config: AuditConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly health: HealthRegistry,
  ) {
    this.redis = createRedisClient(config.redis.url, {
      commandTimeoutMs: config.redis.commandTimeoutMs,
      tls: redisTlsOptions(config.redis.tls, config.redis.url),
    });
  }

  check(claims: SessionClaims): Promise<SessionDecision> {
    return checkSession(this.redis, claims);
  }

  async onModuleInit(): Promise<void> {
    this.redis.on('error', () => undefined); // reported by /health/ready and SESSION_FAILURE_MODE at request time
    this.health.register({
      name: 'redis-sessions',
      kind: 'cache',
      // Like the gateway: without it, SESSION_FAILURE_MODE decides per request (open: token only; closed: 503).
      critical: false,
      check: async () => {
        if (this.redis.status !== 'ready') throw new Error(`redis ${this.redis.status}`);
        await this.redis.ping();
      },
    });
    // Boot even when Redis is down; the client keeps reconnecting in the background.
    await this.redis.connect().catch((error: Error) => this.logger.warn({ err: error.message }, 'redis not reachable'));
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
