import 'reflect-metadata';
import { postgresSsl } from '@taskflow/config';
import { createLogger, DATABASE_ROLES, pgQueryable, provisionDatabaseRoles } from '@taskflow/nest-kit';
import { runMigrateCommand } from '@taskflow/service-chassis';
import { Client } from 'pg';
import { loadDatabaseRolesConfig, loadUserServiceConfig } from './config/user-service.config';
import { connect, ensureDatabase, migrationUrlOf, runMigrations, USER_MIGRATION_SET } from './database/data-source';

/**
 * `node dist/apps/user-service/src/migrate.js [up | down [n] | status | roles]` (service-chassis
 * `runMigrateCommand`; default up). Migrations run as the schema owner (DATABASE_MIGRATION_URL, else DATABASE_URL);
 * user-service migrates before task-service because `tasks` references `users(id)`. `roles` runs first, as the
 * database administrator (DATABASE_ADMIN_URL): it creates both services' roles and sets their passwords.
 */
async function main(args = process.argv.slice(2)): Promise<void> {
  if (args[0] === 'roles' && args.length === 1) return provisionRoles();
  const config = loadUserServiceConfig();
  const logger = createLogger('user-service-migrate', config.logLevel);
  await runMigrateCommand(
    args,
    {
      schema: USER_MIGRATION_SET,
      up: async () => {
        if (await ensureDatabase(migrationUrlOf(config.db).url)) logger.info('created the database');
        return runMigrations(config.db, logger);
      },
      connect: () => connect(config.db, 'user-service-migrate', logger, { migration: true }),
      otherCommands: ['roles'],
    },
    logger,
  );
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
