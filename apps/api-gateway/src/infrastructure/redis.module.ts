import { Global, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { CacheStore, createRedisClient } from '@taskflow/cache';
import { redisTlsOptions } from '@taskflow/config';
import { AppMetrics, HealthRegistry } from '@taskflow/nest-kit';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, GatewayConfig } from '../config/gateway.config';
import { GatewayMetrics } from './gateway-metrics';

export const LOGGER = Symbol('LOGGER');
export const REDIS = Symbol('REDIS');

/** One Redis client for cache, sessions, idempotency and rate limits; never a source of truth. */
@Global()
@Module({
  providers: [
    { provide: GatewayMetrics, useFactory: (metrics: AppMetrics) => new GatewayMetrics(metrics), inject: [AppMetrics] },
    {
      provide: REDIS,
      useFactory: (config: GatewayConfig) =>
        createRedisClient(config.redis.url, {
          commandTimeoutMs: config.redis.commandTimeoutMs,
          tls: redisTlsOptions(config.redis.tls, config.redis.url),
        }),
      inject: [GATEWAY_CONFIG],
    },
    {
      provide: CacheStore,
      useFactory: (redis: Redis, metrics: GatewayMetrics, logger: Logger, config: GatewayConfig) => {
        let lastWarning = 0;
        return new CacheStore(
          redis,
          {
            onResult: (result) => metrics.cacheRequests.inc({ result }),
            onEvictions: (count) => metrics.cacheEvictions.inc(count),
            onUnavailable: (error) => {
              // One warning per 10 s is enough to see an outage without flooding the log.
              if (Date.now() - lastWarning < 10_000) return;
              lastWarning = Date.now();
              logger.warn({ err: error.message }, 'redis unavailable: cache bypassed');
            },
          },
          config.redis.cacheEnabled,
        );
      },
      inject: [REDIS, GatewayMetrics, LOGGER, GATEWAY_CONFIG],
    },
  ],
  exports: [REDIS, CacheStore, GatewayMetrics],
})
export class RedisModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly health: HealthRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    this.redis.on('error', () => undefined); // reported through the cache observer and /health/ready
    this.redis.on('ready', () => this.logger.info('redis connected: cache active'));
    this.health.register({
      name: 'redis',
      kind: 'cache',
      critical: false, // the gateway serves from the services without it
      check: async () => {
        if (this.redis.status !== 'ready') throw new Error(`redis ${this.redis.status}`);
        await this.redis.ping();
      },
    });
    // Boot even when Redis is down; the client keeps reconnecting in the background.
    await this.redis.connect().catch((error: Error) => this.logger.warn({ err: error.message }, 'redis not reachable'));
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }
}
