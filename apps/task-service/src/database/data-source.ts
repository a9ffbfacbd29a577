import { redactCredentials } from '@taskflow/config';
import {
  assertSchemaCurrent as sharedAssertSchemaCurrent,
  MigrationSet,
  postgresConnectionOptions,
  schemaStatus as sharedSchemaStatus,
  SchemaStatus,
  SqlQueryable,
} from '@taskflow/nest-kit';
import type { Logger } from 'pino';
import { DataSource, DataSourceOptions } from 'typeorm';
import type { DbConfig } from '../config/task-service.config';
import { TASK_MIGRATIONS, TASK_MIGRATIONS_TABLE } from '../migrations';
import { TaskOrmEntity, UserRefOrmEntity } from '../task/infrastructure/persistence/task.orm-entity';

export const TASK_ENTITIES = [TaskOrmEntity, UserRefOrmEntity];

/** TypeORM options: the shared PostgreSQL options (pool, TLS, slow-query log, read replicas) plus this schema. */
export function dataSourceOptions(
  db: DbConfig,
  url = db.url,
  applicationName = 'task-service',
  logger?: Logger,
): DataSourceOptions {
  return {
    ...postgresConnectionOptions(db, { applicationName, url, logger }),
    entities: TASK_ENTITIES,
    migrations: TASK_MIGRATIONS,
    migrationsTableName: TASK_MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    synchronize: false,
  };
}

/** Connects, or fails with a message naming the variable to fix. */
export async function connect(
  db: DbConfig,
  options: { migration?: boolean; logger?: Logger } = {},
): Promise<DataSource> {
  const variable = options.migration && db.migrationUrl ? 'DATABASE_MIGRATION_URL' : 'DATABASE_URL';
  const url = options.migration && db.migrationUrl ? db.migrationUrl : db.url;
  const dataSource = new DataSource(dataSourceOptions(db, url, undefined, options.logger));
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

/** task-service's migrations and their table. */
export const TASK_MIGRATION_SET: MigrationSet = {
  migrations: TASK_MIGRATIONS,
  table: TASK_MIGRATIONS_TABLE,
  migrateCommand: 'npx nx run task-service:migrate',
};

export const schemaStatus = (dataSource: SqlQueryable): Promise<SchemaStatus> =>
  sharedSchemaStatus(dataSource, TASK_MIGRATION_SET);

/** Refuses to run this code against a schema older than it (seed 000: schema version check). */
export const assertSchemaCurrent = (dataSource: SqlQueryable): Promise<SchemaStatus> =>
  sharedAssertSchemaCurrent(dataSource, TASK_MIGRATION_SET);
