import 'reflect-metadata';
import { createLogger, protectMigrationHistory } from '@taskflow/nest-kit';
import { DbConfig, loadTaskServiceConfig } from './config/task-service.config';
import { connect, revertLastMigration, schemaStatus } from './database/data-source';
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

/** `migrate` (default: up), `migrate down [n]`, `migrate status`. */
async function main(): Promise<void> {
  const config = loadTaskServiceConfig();
  const logger = createLogger('task-service-migrate', config.logLevel);
  const [command = 'up', count = '1'] = process.argv.slice(2);
  if (command === 'up') {
    logger.info({ applied: await runMigrations(config.db) }, 'migrations up to date');
    return;
  }
  const dataSource = await connect(config.db, { migration: true });
  try {
    if (command === 'status') logger.info(await schemaStatus(dataSource), 'schema status');
    else if (command === 'down') {
      for (let i = 0; i < Number(count); i++)
        logger.info({ reverted: await revertLastMigration(dataSource) }, 'reverted');
    } else throw new Error(`unknown command ${command}; use up, down [n] or status`);
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  main().catch((error: Error) => {
    process.stderr.write(`task-service migrate failed: ${error.message}\n`);
    process.exit(1);
  });
}
