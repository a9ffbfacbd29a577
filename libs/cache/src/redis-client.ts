import { Redis } from 'ioredis';
import { defineRateLimitCommand } from './rate-limit';

export interface RedisClientOptions {
  /** Longest a command may take before it fails; a cache read must never hold a request for long. */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** TLS (see redisTlsOptions in @taskflow/config); a `rediss://` URL alone turns it on with the system CAs. */
  tls?: { ca?: string; rejectUnauthorized: boolean };
}

/**
 * An ioredis client that fails fast when Redis is down: with ioredis defaults a GET stays pending
 * ~73 s (offline queue + 20 retries); here it fails in milliseconds while the client keeps
 * reconnecting in the background, so the cache resumes without a restart.
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  const redis = new Redis(url, {
    commandTimeout: options.commandTimeoutMs ?? 100,
    connectTimeout: options.connectTimeoutMs ?? 1000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 100, 1000),
    lazyConnect: true,
    ...(options.tls ? { tls: options.tls } : {}),
    // No enableAutoPipelining: with a custom script command it threw inside ioredis in our tests, and
    // the gateway sends its per-request commands as one explicit pipeline.
  });
  defineRateLimitCommand(redis);
  return redis;
}
