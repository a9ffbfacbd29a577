import 'reflect-metadata';
import { kafkaSecurityOptions } from '@taskflow/config';
import { KafkaPublisher } from '@taskflow/messaging-kafka';
import { AppMetrics, createLogger, JwtVerifier, listen, RPC_AUDIENCE } from '@taskflow/nest-kit';
import { OutboxRelay } from '@taskflow/outbox';
import { createTaskServiceApp } from './bootstrap';
import { loadTaskServiceServerConfig } from './config/task-service.config';
import { assertSchemaCurrent, connect } from './database/data-source';
import { TASK_OUTBOX_TABLE } from './migrations';
import { runMigrations } from './migrate';

async function main(): Promise<void> {
  const config = loadTaskServiceServerConfig();
  const logger = createLogger('task-service', config.logLevel);

  if (config.db.migrationsRun) {
    const applied = await runMigrations(config.db);
    logger.info({ migrations: applied }, 'migrations applied at start-up');
  }
  const dataSource = await connect(config.db, { logger });
  const schema = await assertSchemaCurrent(dataSource).catch(async (error) => {
    await dataSource.destroy();
    throw error;
  });
  if (schema.unknown.length > 0) {
    logger.warn({ unknown: schema.unknown }, 'database schema is newer than this code (rolling deployment?)');
  }

  const metrics = new AppMetrics('task-service');
  const publisher = new KafkaPublisher({
    brokers: config.kafka.brokers,
    clientId: config.kafka.clientId,
    connectionTimeoutMs: config.kafka.connectionTimeoutMs,
    requestTimeoutMs: config.kafka.requestTimeoutMs,
    logger,
    signingKey: config.eventSigningKey,
    ...kafkaSecurityOptions(config.kafka.tls, config.kafka.sasl),
  });
  const relay = new OutboxRelay({ dataSource, table: TASK_OUTBOX_TABLE, publisher, logger, metrics, ...config.outbox });

  const app = await createTaskServiceApp(
    {
      dataSource,
      callers: new JwtVerifier(config.callerKeys, RPC_AUDIENCE.task),
      publisher,
      metrics,
      idempotencyRetentionMs: config.idempotency.retentionMs,
      afterCommit: () => relay.wake(),
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
        logger.info('task-service stopped');
      },
    },
    // The TLS credentials travel apart from config.rpc, which is logged.
    { ...config.rpc, tls: config.rpcTls },
    logger,
    config.shutdown,
  );
  await app.init();
  await app.startAllMicroservices();
  await listen(app, { management: { host: config.rpc.host, port: config.managementPort } }, logger);
  relay.start();
  logger.info({ rpc: config.rpc, rpcTls: config.rpcTls.enabled }, 'task-service ready');
}

main().catch((error: Error) => {
  // Plain stderr: the logger may not exist yet (bad configuration).
  process.stderr.write(`task-service failed to start: ${error.message}\n`);
  process.exit(1);
});
