import 'reflect-metadata';
import { createLogger } from '@taskflow/nest-kit';
import { loadUserServiceConfig } from './config/user-service.config';
import { connect, ensureDatabase, schemaStatus } from './database/data-source';
import { leastPrivilegeSql } from './database/least-privilege';

/**
 * `node dist/apps/user-service/src/migrate.js [up|down [n]|status|grants [role]]` (default up; `down` reverts the
 * last `n` migrations, default 1). Runs as the schema owner role; user-service migrates before task-service
 * because `tasks` references `users(id)`.
 */
async function main(command = process.argv[2] ?? 'up'): Promise<void> {
  const config = loadUserServiceConfig();
  const logger = createLogger('user-service-migrate', config.logLevel);
  if (command === 'up' && (await ensureDatabase(config.db.url))) logger.info('created the database');
  const dataSource = await connect(config.db, 'user-service-migrate');
  try {
    if (command === 'up') {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      logger.info({ applied: applied.map((migration) => migration.name) }, `applied ${applied.length} migration(s)`);
    } else if (command === 'down') {
      const count = Number(process.argv[3] ?? '1');
      if (!Number.isSafeInteger(count) || count < 1)
        throw new Error(`down takes a positive count, not ${process.argv[3]}`);
      for (let i = 0; i < count; i++) await dataSource.undoLastMigration({ transaction: 'each' });
      logger.info(`reverted the last ${count} migration(s)`);
    } else if (command === 'grants') {
      // Prints the least-privilege grants for the app role, to pipe into psql as the owner role.
      const role = process.argv[3] ?? 'taskflow_app';
      const database = new URL(config.db.url).pathname.slice(1);
      const owner = (await dataSource.query('SELECT current_user AS owner'))[0].owner;
      process.stdout.write(leastPrivilegeSql(role, database, owner).join(';\n') + ';\n');
    } else if (command === 'status') {
      logger.info(await schemaStatus(dataSource), 'schema status');
    } else {
      throw new Error(`unknown command ${command}: use up, down, status or grants`);
    }
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`user-service migrate failed: ${error.message}\n`);
  process.exit(1);
});
