import 'reflect-metadata';
import { postgresSsl } from '@taskflow/config';
import { createLogger, DATABASE_ROLES, pgQueryable, provisionDatabaseRoles } from '@taskflow/nest-kit';
import { Client } from 'pg';
import { loadDatabaseRolesConfig, loadUserServiceConfig } from './config/user-service.config';
import { connect, ensureDatabase, migrationUrlOf, runMigrations, schemaStatus } from './database/data-source';

/**
 * `node dist/apps/user-service/src/migrate.js [up|down [n]|status|roles]` (default up; `down` reverts the last `n`
 * migrations, default 1). Migrations run as the schema owner (DATABASE_MIGRATION_URL, else DATABASE_URL);
 * user-service migrates before task-service because `tasks` references `users(id)`. `roles` runs first, as the
 * database administrator (DATABASE_ADMIN_URL): it creates both services' roles and sets their passwords.
 */
async function main(command = process.argv[2] ?? 'up'): Promise<void> {
  if (command === 'roles') return provisionRoles();
  const config = loadUserServiceConfig();
  const logger = createLogger('user-service-migrate', config.logLevel);
  if (command === 'up') {
    if (await ensureDatabase(migrationUrlOf(config.db).url)) logger.info('created the database');
    const applied = await runMigrations(config.db, logger);
    logger.info({ applied }, `applied ${applied.length} migration(s)`);
    return;
  }
  const dataSource = await connect(config.db, 'user-service-migrate', logger, { migration: true });
  try {
    if (command === 'down') {
      const count = Number(process.argv[3] ?? '1');
      if (!Number.isSafeInteger(count) || count < 1)
        throw new Error(`down takes a positive count, not ${process.argv[3]}`);
      for (let i = 0; i < count; i++) await dataSource.undoLastMigration({ transaction: 'each' });
      logger.info(`reverted the last ${count} migration(s)`);
    } else if (command === 'status') {
      logger.info(await schemaStatus(dataSource), 'schema status');
    } else {
      throw new Error(`unknown command ${command}: use up, down, status or roles`);
    }
  } finally {
    await dataSource.destroy();
  }
}

/** The `roles` step: the four service roles with the passwords from the secrets, and their rights. */
async function provisionRoles(): Promise<void> {
  const { adminUrl, tls, passwords } = loadDatabaseRolesConfig();
  const database = decodeURIComponent(new URL(adminUrl).pathname.slice(1));
  if (!database) throw new Error("DATABASE_ADMIN_URL: name the services' database in the path");
  const admin = new Client({ connectionString: adminUrl, ssl: postgresSsl(tls) });
  await admin.connect();
  try {
    await provisionDatabaseRoles(pgQueryable(admin), {
      database,
      passwords: {
        [DATABASE_ROLES.user.owner]: passwords.userOwner,
        [DATABASE_ROLES.user.runtime]: passwords.userRuntime,
        [DATABASE_ROLES.task.owner]: passwords.taskOwner,
        [DATABASE_ROLES.task.runtime]: passwords.taskRuntime,
      },
    });
  } finally {
    await admin.end();
  }
  process.stdout.write(`database roles of ${database} provisioned\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`user-service migrate failed: ${error.message}\n`);
  process.exit(1);
});
