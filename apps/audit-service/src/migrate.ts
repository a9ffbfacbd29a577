import { createLogger } from '@taskflow/nest-kit';
import { pendingMigrations, runMigrations } from './audit/infrastructure/persistence/migrations';
import { databaseOf, openMongoConnection } from './audit/infrastructure/persistence/mongo-connection';
import { loadAuditMigrationConfig } from './config/audit.config';

/** `node dist/apps/audit-service/src/migrate.js [--status]`: applies (or lists) the event_logs schema migrations. */
async function main(): Promise<void> {
  const config = loadAuditMigrationConfig();
  const logger = createLogger('audit-migrate', config.logLevel);
  const connection = await openMongoConnection(
    config.mongo.url,
    config.mongo.serverSelectionTimeoutMs,
    config.mongo.tls,
  );
  try {
    const db = databaseOf(connection);
    if (process.argv.includes('--status')) {
      const pending = await pendingMigrations(db);
      logger.info({ pending: pending.map((m) => `${m.version}: ${m.description}`) }, 'migration status');
    } else {
      logger.info({ applied: await runMigrations(db) }, 'migrations done');
    }
  } finally {
    await connection.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
