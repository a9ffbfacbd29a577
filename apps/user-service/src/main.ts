import 'reflect-metadata';
import { kafkaSecurityOptions } from '@taskflow/config';
import { KafkaPublisher } from '@taskflow/messaging-kafka';
import { AppMetrics, createLogger, JwtVerifier, listen, RPC_AUDIENCE } from '@taskflow/nest-kit';
import { OutboxRelay } from '@taskflow/outbox';
import { createUserServiceApp } from './bootstrap';
import { loadUserServiceServerConfig } from './config/user-service.config';
import { assertSchemaCurrent, connect, ensureDatabase } from './database/data-source';
import { USER_OUTBOX_TABLE } from './migrations/1767225600001-create-user-outbox';

async function main(): Promise<void> {
  const config = loadUserServiceServerConfig();
  const logger = createLogger('user-service', config.logLevel);

  if (config.db.migrationsRun) await ensureDatabase(config.db.url);
  const dataSource = await connect(config.db, undefined, logger);
  if (config.db.migrationsRun) {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    logger.info({ migrations: applied.map((migration) => migration.name) }, 'migrations applied at start-up');
  }
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
      // Servers are closed by now: drain the relay, then the Kafka producer, then the pool.
      onShutdown: async () => {
        await relay.stop();
        const flushed = await relay.flush().catch((error: Error) => {
          logger.warn({ err: error.message }, 'outbox flush at shutdown failed; the next relay sends the rows');
          return 0;
        });
        if (flushed > 0) logger.info({ flushed }, 'outbox flushed at shutdown');
        await publisher.disconnect();
        await dataSource.destroy();
        logger.info('user-service stopped');
      },
    },
    config.rpc,
    config.shutdown,
  );
  await app.init();
  await app.startAllMicroservices();
  await listen(app, config.http.port, config.http.host, logger);
  relay.start();
  logger.info({ rpc: config.rpc, bcryptCost: config.bcryptCost }, 'user-service ready');
}

main().catch((error: Error) => {
  // Plain stderr: the logger may not exist yet (bad configuration).
  process.stderr.write(`user-service failed to start: ${error.message}\n`);
  process.exit(1);
});
