import 'reflect-metadata';
import { createRedisClient } from '@taskflow/cache';
import { redisTlsOptions } from '@taskflow/config';
import { runPostgresService } from '@taskflow/service-chassis';
import { createUserServiceApp, USER_SERVICE } from './bootstrap';
import { loadUserServiceServerConfig } from './config/user-service.config';
import { connect, ensureDatabase, migrationUrlOf, runMigrations } from './database/data-source';
import { AuthenticateThrottle } from './user/interface/messaging/authenticate-throttle';

// Boot, readiness and graceful shutdown are the chassis' (runPostgresService); this is what is user-service's own:
// its database steps, and the Redis of its `user.authenticate` throttle.
void runPostgresService(USER_SERVICE, () => {
  const config = loadUserServiceServerConfig();
  return {
    config,
    database: {
      migrate: async (logger) => {
        await ensureDatabase(migrationUrlOf(config.db).url);
        return runMigrations(config.db, logger);
      },
      connect: (logger) => connect(config.db, undefined, logger),
    },
    createApp: async (resources, rpc, shutdown) => {
      const redis = createRedisClient(config.redis.url, {
        commandTimeoutMs: config.redis.commandTimeoutMs,
        tls: redisTlsOptions(config.redis.tls, config.redis.url),
      });
      redis.on('error', () => undefined); // reported by /health/ready; the throttle lets attempts through meanwhile
      // Boot even when Redis is down; the client keeps reconnecting in the background.
      await redis
        .connect()
        .catch((error: Error) => resources.logger.warn({ err: error.message }, 'redis not reachable'));
      resources.closeWith(() => redis.disconnect());
      const authenticateThrottle = new AuthenticateThrottle(redis, config.authenticateThrottle);
      return createUserServiceApp(
        { ...resources, bcryptCost: config.bcryptCost, fieldKeys: config.pii, authenticateThrottle },
        rpc,
        shutdown,
      );
    },
    readyLog: { bcryptCost: config.bcryptCost },
  };
});
