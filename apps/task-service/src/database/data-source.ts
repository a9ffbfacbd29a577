import { postgresConnectionOptions, redactUrl } from '@taskflow/nest-kit';
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
    throw new Error(`${variable}: cannot connect to ${redactUrl(url)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return dataSource;
}

export interface SchemaStatus {
  applied: string[];
  pending: string[];
  /** Applied migrations this code does not know: the schema is newer than the code (allowed during rollouts). */
  unknown: string[];
}

export async function schemaStatus(dataSource: DataSource): Promise<SchemaStatus> {
  const known = TASK_MIGRATIONS.map((migration) => new migration().name);
  const [{ oid }] = await dataSource.query(`SELECT to_regclass($1) AS oid`, [TASK_MIGRATIONS_TABLE]);
  const applied: string[] = oid
    ? (await dataSource.query(`SELECT name FROM "${TASK_MIGRATIONS_TABLE}" ORDER BY id`)).map(
        (row: { name: string }) => row.name,
      )
    : [];
  return {
    applied,
    pending: known.filter((name) => !applied.includes(name)),
    unknown: applied.filter((name) => !known.includes(name)),
  };
}

/** Refuses to run this code against a schema older than it (seed 000: schema version check). */
export async function assertSchemaCurrent(dataSource: DataSource): Promise<SchemaStatus> {
  const status = await schemaStatus(dataSource);
  if (status.pending.length > 0) {
    throw new Error(
      `database schema is older than this code: ${status.pending.length} pending migration(s) ` +
        `(${status.pending.join(', ')}). Run \`npx nx run task-service:migrate\` or start with MIGRATIONS_RUN=true.`,
    );
  }
  return status;
}

/**
 * Reverts the newest applied migration. TypeORM's undo ignores a migration's `transaction = false`, so the
 * mode is chosen here: CONCURRENTLY index drops cannot run inside a transaction.
 */
export async function revertLastMigration(dataSource: DataSource): Promise<string | undefined> {
  const { applied } = await schemaStatus(dataSource);
  const last = applied.at(-1);
  if (!last) return undefined;
  const migration = TASK_MIGRATIONS.map((type) => new type()).find((candidate) => candidate.name === last);
  const outsideTransaction = (migration as { transaction?: boolean } | undefined)?.transaction === false;
  await dataSource.undoLastMigration({ transaction: outsideTransaction ? 'none' : 'each' });
  return last;
}
