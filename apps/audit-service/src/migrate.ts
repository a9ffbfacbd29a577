import { createLogger } from '@taskflow/nest-kit';
import { AuditDatabase } from './audit/infrastructure/persistence/audit-database';
import { pendingMigrations, runMigrations } from './audit/infrastructure/persistence/migrations';
import { loadAuditConfig } from './config/audit.config';

/** `node dist/apps/audit-service/src/migrate.js [--status]`: applies (or lists) the event_logs schema migrations. */
async function main(): Promise<void> {
  const config = loadAuditConfig();
  const logger = createLogger('audit-migrate', config.logLevel);
  const database = await AuditDatabase.connect(config.mongo.url, config.mongo.serverSelectionTimeoutMs);
  try {
    if (process.argv.includes('--status')) {
      const pending = await pendingMigrations(database.db);
      logger.info({ pending: pending.map((m) => `${m.version}: ${m.description}`) }, 'migration status');
    } else {
      logger.info({ applied: await runMigrations(database.db) }, 'migrations done');
    }
  } finally {
    await database.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
