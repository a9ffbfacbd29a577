import { redactCredentials } from '@taskflow/config';
import {
  assertSchemaCurrent as sharedAssertSchemaCurrent,
  MigrationSet,
  postgresConnectionOptions,
  protectMigrationHistory,
  schemaStatus as sharedSchemaStatus,
  SchemaStatus,
  SqlQueryable,
} from '@taskflow/nest-kit';
import { Client } from 'pg';
import type { Logger } from 'pino';
import { DataSource, DataSourceOptions } from 'typeorm';
import type { DbConfig } from '../config/user-service.config';
import { USER_MIGRATIONS, USER_MIGRATIONS_TABLE } from '../migrations';
import { UserOrmEntity } from '../user/infrastructure/persistence/user.orm-entity';

export const USER_ENTITIES = [UserOrmEntity];

/**
 * TypeORM options: the shared PostgreSQL options (pool, TLS, slow-query log, read replicas: TypeORM replication
 * routes plain reads to a replica; transactions and `createQueryRunner('master')` go to the primary).
 */
export function dataSourceOptions(
  db: DbConfig,
  applicationName = 'user-service',
  logger?: Logger,
  url = db.url,
): DataSourceOptions {
  return {
    ...postgresConnectionOptions(db, { applicationName, logger, url }),
    // gen_random_uuid() is built into PostgreSQL 13+; the app role may not create extensions.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    entities: USER_ENTITIES,
    migrations: USER_MIGRATIONS,
    migrationsTableName: USER_MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    synchronize: false,
  };
}

/** The URL migrations use: the schema owner's (DATABASE_MIGRATION_URL), else DATABASE_URL. */
export function migrationUrlOf(db: DbConfig): { url: string; variable: string } {
  return db.migrationUrl
    ? { url: db.migrationUrl, variable: 'DATABASE_MIGRATION_URL' }
    : { url: db.url, variable: 'DATABASE_URL' };
}

/**
 * Connects as the runtime role (DATABASE_URL), or with `migration` as the schema owner, or fails with a message
 * naming the variable to fix.
 */
export async function connect(
  db: DbConfig,
  applicationName?: string,
  logger?: Logger,
  options: { migration?: boolean } = {},
): Promise<DataSource> {
  const { url, variable } = options.migration ? migrationUrlOf(db) : { url: db.url, variable: 'DATABASE_URL' };
  const dataSource = new DataSource(dataSourceOptions(db, applicationName, logger, url));
  try {
    await dataSource.initialize();
    await dataSource.query('SELECT 1');
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    throw new Error(`${variable}: cannot connect to ${redactCredentials(url)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return dataSource;
}

/**
 * Applies the pending migrations as the schema owner, then takes the migration history's write rights from
 * everyone else (`protectMigrationHistory`). Answers the names applied.
 */
export async function runMigrations(db: DbConfig, logger?: Logger): Promise<string[]> {
  const dataSource = await connect(db, 'user-service-migrate', logger, { migration: true });
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    await protectMigrationHistory(dataSource, USER_MIGRATIONS_TABLE);
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}

/** Creates the database named in `url` when it does not exist yet (connecting to the `postgres` database). */
export async function ensureDatabase(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `DATABASE_URL: cannot connect to ${redactCredentials(admin.toString())}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) return false;
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    return true;
  } finally {
    await client.end();
  }
}

/** user-service's migrations and their table. */
export const USER_MIGRATION_SET: MigrationSet = {
  migrations: USER_MIGRATIONS,
  table: USER_MIGRATIONS_TABLE,
  migrateCommand: 'npx nx run user-service:migrate',
};

export const schemaStatus = (dataSource: SqlQueryable): Promise<SchemaStatus> =>
  sharedSchemaStatus(dataSource, USER_MIGRATION_SET);

/** Refuses to run this code against a schema older than it (seed 000: schema version check). */
export const assertSchemaCurrent = (dataSource: SqlQueryable): Promise<SchemaStatus> =>
  sharedAssertSchemaCurrent(dataSource, USER_MIGRATION_SET);
