import 'reflect-metadata';
import { createLogger, protectMigrationHistory } from '@taskflow/nest-kit';
import { DbConfig, loadTaskServiceConfig } from './config/task-service.config';
import { runMigrateCommand } from '@taskflow/service-chassis';
import { connect, TASK_MIGRATION_SET } from './database/data-source';
import { TASK_MIGRATIONS_TABLE } from './migrations';

/**
 * Applies the pending migrations as the schema owner (DATABASE_MIGRATION_URL, else DATABASE_URL), then takes the
 * migration history's write rights from everyone else. Answers the names applied.
 */
export async function runMigrations(db: DbConfig): Promise<string[]> {
  const dataSource = await connect(db, { migration: true });
  try {
    const [{ users }] = await dataSource.query(`SELECT to_regclass('users') AS users`);
    if (!users) throw new Error('table "users" is missing: run the user-service migrations first (tasks reference it)');
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    await protectMigrationHistory(dataSource, TASK_MIGRATIONS_TABLE);
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}

/** `migrate [up | down [n] | status]` (service-chassis `runMigrateCommand`; default up). */
async function main(): Promise<void> {
  const config = loadTaskServiceConfig();
  const logger = createLogger('task-service-migrate', config.logLevel);
  await runMigrateCommand(
    process.argv.slice(2),
    {
      schema: TASK_MIGRATION_SET,
      up: () => runMigrations(config.db),
      connect: () => connect(config.db, { migration: true }),
    },
    logger,
  );
}

if (require.main === module) {
  main().catch((error: Error) => {
    process.stderr.write(`task-service migrate failed: ${error.message}\n`);
    process.exit(1);
  });
}
