/** What the schema check needs of a connection: a TypeORM DataSource, or the readiness probe's own connection. */
export interface SqlQueryable {
  /** Resolves with the result rows. */
  query(sql: string, parameters?: unknown[]): Promise<any[]>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One service's TypeORM migrations: the classes this code knows and the table recording the applied ones. */
export interface MigrationSet {
  migrations: (new () => { name?: string })[];
  table: string;
  /** Named in the error when the schema is behind, e.g. `npx nx run user-service:migrate`. */
  migrateCommand: string;
}

export interface SchemaStatus {
  applied: string[];
  pending: string[];
  /** Applied migrations this code does not know: the schema is newer than the code (allowed during rollouts). */
  unknown: string[];
}

export async function schemaStatus(dataSource: SqlQueryable, set: MigrationSet): Promise<SchemaStatus> {
  const known = set.migrations.map((migration) => new migration().name!);
  const [{ oid }] = await dataSource.query(`SELECT to_regclass($1) AS oid`, [set.table]);
  const applied: string[] = oid
    ? (await dataSource.query(`SELECT name FROM "${set.table}" ORDER BY id`)).map((row: { name: string }) => row.name)
    : [];
  return {
    applied,
    pending: known.filter((name) => !applied.includes(name)),
    unknown: applied.filter((name) => !known.includes(name)),
  };
}

/** Refuses to run this code against a schema older than it (seed 000: schema version check). */
export async function assertSchemaCurrent(dataSource: SqlQueryable, set: MigrationSet): Promise<SchemaStatus> {
  const status = await schemaStatus(dataSource, set);
  if (status.pending.length > 0) {
    throw new Error(
      `database schema is older than this code: ${status.pending.length} pending migration(s) ` +
        `(${status.pending.join(', ')}). Run \`${set.migrateCommand}\` or start with MIGRATIONS_RUN=true.`,
    );
  }
  return status;
}
