import 'reflect-metadata';
import { createRedisClient } from '@taskflow/cache';
import { kafkaSecurityOptions, redisTlsOptions } from '@taskflow/config';
import { KafkaPublisher } from '@taskflow/messaging-kafka';
import { AppMetrics, createLogger, JwtVerifier, listen, RPC_AUDIENCE } from '@taskflow/nest-kit';
import { OutboxRelay } from '@taskflow/outbox';
import { createUserServiceApp } from './bootstrap';
import { AuthenticateThrottle } from './user/interface/messaging/authenticate-throttle';
import { loadUserServiceServerConfig } from './config/user-service.config';
import { assertSchemaCurrent, connect, ensureDatabase, migrationUrlOf, runMigrations } from './database/data-source';
import { USER_OUTBOX_TABLE } from './migrations/1767225600001-create-user-outbox';

async function main(): Promise<void> {
  const config = loadUserServiceServerConfig();
  const logger = createLogger('user-service', config.logLevel);

  if (config.db.migrationsRun) {
    await ensureDatabase(migrationUrlOf(config.db).url);
    logger.info({ migrations: await runMigrations(config.db, logger) }, 'migrations applied at start-up');
  }
  const dataSource = await connect(config.db, undefined, logger);
  const schema = await assertSchemaCurrent(dataSource).catch(async (error) => {
    await dataSource.destroy();
    throw error;
  });
  if (schema.unknown.length > 0) {
    logger.warn({ unknown: schema.unknown }, 'database schema is newer than this code (rolling deployment?)');
  }

  const metrics = new AppMetrics('user-service');
  const publisher = new KafkaPublisher({
    brokers: config.kafka.brokers,
    clientId: config.kafka.clientId,
    connectionTimeoutMs: config.kafka.connectionTimeoutMs,
    requestTimeoutMs: config.kafka.requestTimeoutMs,
    logger,
    signingKey: config.eventSigningKey,
    ...kafkaSecurityOptions(config.kafka.tls, config.kafka.sasl),
  });
  const relay = new OutboxRelay({ dataSource, table: USER_OUTBOX_TABLE, publisher, logger, metrics, ...config.outbox });
  const redis = createRedisClient(config.redis.url, {
    commandTimeoutMs: config.redis.commandTimeoutMs,
    tls: redisTlsOptions(config.redis.tls, config.redis.url),
  });
  redis.on('error', () => undefined); // reported by /health/ready; the throttle lets attempts through meanwhile
  // Boot even when Redis is down; the client keeps reconnecting in the background.
  await redis.connect().catch((error: Error) => logger.warn({ err: error.message }, 'redis not reachable'));

  const app = await createUserServiceApp(
    {
      dataSource,
      callers: new JwtVerifier(config.callerKeys, RPC_AUDIENCE.user),
      bcryptCost: config.bcryptCost,
      fieldKeys: config.pii,
      publisher,
      metrics,
      logger,
      idempotencyRetentionMs: config.idempotency.retentionMs,
      authenticateThrottle: new AuthenticateThrottle(redis, config.authenticateThrottle),
      // Servers are closed by now: drain the relay, then the Kafka producer, then the pool.
      onShutdown: async () => {
        await relay.stop();
        const flushed = await relay.flush().catch((error: Error) => {
          logger.warn({ err: error.message }, 'outbox flush at shutdown failed; the next relay sends the rows');
          return 0;
        });
        if (flushed > 0) logger.info({ flushed }, 'outbox flushed at shutdown');
        await publisher.disconnect();
        redis.disconnect();
        await dataSource.destroy();
        logger.info('user-service stopped');
      },
    },
    // The TLS credentials travel apart from config.rpc, which is logged.
    { ...config.rpc, tls: config.rpcTls },
    config.shutdown,
  );
  await app.init();
  await app.startAllMicroservices();
  await listen(app, { management: { host: config.rpc.host, port: config.managementPort } }, logger);
  relay.start();
  logger.info({ rpc: config.rpc, rpcTls: config.rpcTls.enabled, bcryptCost: config.bcryptCost }, 'user-service ready');
}

main().catch((error: Error) => {
  // Plain stderr: the logger may not exist yet (bad configuration).
  process.stderr.write(`user-service failed to start: ${error.message}\n`);
  process.exit(1);
});
