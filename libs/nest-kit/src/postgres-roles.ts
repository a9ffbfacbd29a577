import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import type { ClientBase } from 'pg';
import { assertTableName } from './postgres';
import type { SqlQueryable } from './schema-version';

/** A node-postgres client as a `SqlQueryable` (which resolves with the rows, like TypeORM's `query`). */
export function pgQueryable(client: ClientBase): SqlQueryable {
  return { query: async (sql, parameters) => (await client.query(sql, parameters)).rows };
}

/** The two PostgreSQL roles of one service: `owner` owns its tables and runs its migrations; `runtime` is what the service connects as. */
export interface ServiceRoles {
  owner: string;
  runtime: string;
  /** A POSIX regular expression matching the names of the service's tables and types (adopted by `owner`). */
  objects: string;
}

/** The roles of user-service and task-service, one database (`tasks` references `users`). */
export interface DatabaseRoles {
  user: ServiceRoles;
  task: ServiceRoles;
}

/** Role names used locally (`npm start`, tests), in docker-compose and in the Kubernetes manifests. */
export const DATABASE_ROLES: DatabaseRoles = {
  user: { owner: 'taskflow_user_owner', runtime: 'taskflow_user_app', objects: '^(users|user_.+)$' },
  task: { owner: 'taskflow_task_owner', runtime: 'taskflow_task_app', objects: '^(tasks|task_.+)$' },
};

/** A lower-case SQL identifier (`assertTableName`'s rule), double-quoted; anything else is refused, not escaped. */
function sqlIdentifier(name: string): string {
  return `"${assertTableName(name, 'SQL identifier')}"`;
}

/** A string literal for utility statements, which take no bound parameters (standard_conforming_strings on). */
function sqlLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('a password cannot contain NUL');
  return `'${value.replace(/'/g, "''")}'`;
}

export interface ProvisionOptions {
  /** The database the services share (grants and default privileges are per database). */
  database: string;
  roles?: DatabaseRoles;
  /**
   * Password per role name. A role without one keeps its password (none when created here: enough where
   * `pg_hba.conf` trusts the connections). A given one is set when the stored one differs: changing it rotates.
   */
  passwords?: Record<string, string>;
}

/**
 * Creates the four roles when missing and grants what each needs, idempotently (safe to run before every
 * migration). Runs as a superuser, or as a role with CREATEROLE that is a member of both owner roles
 * (ALTER DEFAULT PRIVILEGES FOR ROLE needs that), connected to `database`.
 *
 * - owners: LOGIN, CONNECT, CREATE on schema `public`: they run their service's migrations and own its tables;
 *   task-service's owner may reference user-service's tables (the `tasks` → `users` foreign keys), nothing more.
 * - runtimes: LOGIN, CONNECT, USAGE on `public`, and through default privileges of their owner SELECT, INSERT,
 *   UPDATE, DELETE on every table and USAGE, SELECT on every sequence that owner creates now or later. No DDL,
 *   no TRUNCATE, nothing of the other service; not BYPASSRLS, so `tasks`' row-level security applies.
 * - PUBLIC loses CREATE on `public` (the default before PostgreSQL 15).
 * - A database migrated before the roles existed: the service's tables and types owned by another role (the
 *   administrator) pass to its owner, and its runtime role gets its data rights on them (the migrate command
 *   then takes back its migration history's; `protectMigrationHistory`).
 *
 * Foreign-key checks run with the referenced table owner's rights, so task-service's runtime role needs no
 * privilege on `users`.
 */
export async function provisionDatabaseRoles(admin: SqlQueryable, options: ProvisionOptions): Promise<void> {
  const roles = options.roles ?? DATABASE_ROLES;
  const database = sqlIdentifier(options.database);
  const services = [roles.user, roles.task];
  for (const role of services.flatMap((service) => [service.owner, service.runtime])) {
    await ensureLoginRole(admin, role, options.passwords?.[role]);
  }
  const statements = [`REVOKE CREATE ON SCHEMA public FROM PUBLIC`];
  for (const { owner, runtime } of services.map((service) => ({
    owner: sqlIdentifier(service.owner),
    runtime: sqlIdentifier(service.runtime),
  }))) {
    statements.push(
      `GRANT CONNECT ON DATABASE ${database} TO ${owner}, ${runtime}`,
      `GRANT USAGE, CREATE ON SCHEMA public TO ${owner}`,
      `GRANT USAGE ON SCHEMA public TO ${runtime}`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${runtime}`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${runtime}`,
    );
  }
  statements.push(
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${sqlIdentifier(roles.user.owner)} IN SCHEMA public GRANT REFERENCES ON TABLES TO ${sqlIdentifier(roles.task.owner)}`,
  );
  for (const statement of statements) await admin.query(statement);
  for (const service of services)
    await adoptExistingObjects(admin, service, service === roles.user ? roles.task : null);
}

/**
 * Hands the service's tables and enum types that another role owns to its owner role, granting the runtime role
 * its data rights on those tables (and `referencedBy`'s owner REFERENCES, for the foreign keys). Sequences and
 * indexes follow their tables.
 */
async function adoptExistingObjects(admin: SqlQueryable, service: ServiceRoles, referencedBy: ServiceRoles | null) {
  const owner = sqlIdentifier(service.owner);
  const tables: { name: string }[] = await admin.query(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname ~ $1 AND pg_get_userbyid(c.relowner) <> $2`,
    [service.objects, service.owner],
  );
  for (const { name } of tables) {
    const table = sqlIdentifier(name);
    await admin.query(`ALTER TABLE ${table} OWNER TO ${owner}`);
    await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO ${sqlIdentifier(service.runtime)}`);
    if (referencedBy) await admin.query(`GRANT REFERENCES ON ${table} TO ${sqlIdentifier(referencedBy.owner)}`);
  }
  const types: { name: string }[] = await admin.query(
    `SELECT t.typname AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = 'public' AND t.typtype = 'e' AND t.typname ~ $1 AND pg_get_userbyid(t.typowner) <> $2`,
    [service.objects, service.owner],
  );
  for (const { name } of types) await admin.query(`ALTER TYPE ${sqlIdentifier(name)} OWNER TO ${owner}`);
}

/**
 * Creates `role` (LOGIN, no other attribute) unless it exists; two provisioners racing on one server both
 * succeed. Sets the password when one is given and the role's stored one differs, and strips attributes a
 * service role must not have. ALTER ROLE only when needed: concurrent ALTERs of one role fail ("tuple
 * concurrently updated"), and parallel test workers provision the same roles.
 */
async function ensureLoginRole(admin: SqlQueryable, role: string, password?: string): Promise<void> {
  const name = sqlIdentifier(role);
  const attributes = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT';
  await admin.query(`DO $$ BEGIN
    CREATE ROLE ${name} ${attributes};
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END $$`);
  const [current] = await admin.query(
    `SELECT rolcanlogin AND NOT (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls OR rolinherit) AS ok
     FROM pg_roles WHERE rolname = $1`,
    [role],
  );
  const passwordCurrent = password === undefined || (await storedPasswordIs(admin, role, password));
  if (current?.ok && passwordCurrent) return;
  await admin.query(`ALTER ROLE ${name} ${attributes}${passwordCurrent ? '' : ` PASSWORD ${sqlLiteral(password!)}`}`);
}

/**
 * Whether `role`'s stored password verifier (SCRAM-SHA-256, RFC 5802/7677, or legacy MD5) is `password`'s.
 * False when the verifier cannot be read (pg_authid is readable by superusers only): the caller then sets it.
 */
async function storedPasswordIs(admin: SqlQueryable, role: string, password: string): Promise<boolean> {
  const rows: { verifier: string | null }[] = await admin
    .query(`SELECT rolpassword AS verifier FROM pg_authid WHERE rolname = $1`, [role])
    .catch(() => []);
  const verifier = rows[0]?.verifier;
  if (!verifier) return false;
  const scram = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):/.exec(verifier);
  if (scram) {
    const salted = pbkdf2Sync(password, Buffer.from(scram[2], 'base64'), Number(scram[1]), 32, 'sha256');
    const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest());
    return storedKey.digest('base64') === scram[3];
  }
  return (
    verifier ===
    `md5${createHash('md5')
      .update(password + role)
      .digest('hex')}`
  );
}

/**
 * Leaves the runtime role read access to the migration history (the schema version check) and takes its
 * default INSERT/UPDATE/DELETE away, so only the owner records migrations. Run by the owner after migrating.
 */
export async function protectMigrationHistory(owner: SqlQueryable, table: string): Promise<void> {
  const grantees: { grantee: string }[] = await owner.query(
    `SELECT DISTINCT grantee FROM information_schema.role_table_grants
     WHERE table_schema = current_schema() AND table_name = $1 AND grantee <> current_user
       AND privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')`,
    [table],
  );
  for (const { grantee } of grantees) {
    await owner.query(
      `REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ${sqlIdentifier(table)} FROM ${sqlIdentifier(grantee)}`,
    );
  }
}
