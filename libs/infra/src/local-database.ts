import { DATABASE_ROLES, pgQueryable, provisionDatabaseRoles } from '@taskflow/nest-kit';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { ensureDatabase } from './backends/postgres';

/** The services whose roles `prepareServiceDatabase` answers URLs for. */
export type DatabaseService = 'user-service' | 'task-service';

/** One service's connection strings: `owner` for DATABASE_MIGRATION_URL, `runtime` for DATABASE_URL. */
export interface ServiceUrls {
  owner: string;
  runtime: string;
}

const ROLES_OF: Record<DatabaseService, { owner: string; runtime: string }> = {
  'user-service': DATABASE_ROLES.user,
  'task-service': DATABASE_ROLES.task,
};

/**
 * The local role passwords, created once under `<infraDir>/secrets/database-roles.json` (git-ignored, 0600) and
 * reused. Created exclusively, so parallel test workers all read the first one written.
 */
export function ensureLocalDatabasePasswords(infraDir: string): Record<string, string> {
  const dir = join(infraDir, 'secrets');
  const file = join(dir, 'database-roles.json');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const roles = Object.values(ROLES_OF).flatMap((service) => [service.owner, service.runtime]);
    const passwords = Object.fromEntries(roles.map((role) => [role, randomBytes(24).toString('base64url')]));
    try {
      writeFileSync(file, JSON.stringify(passwords), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
}

/**
 * Prepares the database of `adminUrl` (a superuser's, as the local infrastructure hands out) for the services as a
 * deployment's is: creates it if missing, then the services' owner and runtime roles and their rights
 * (`provisionDatabaseRoles`, the one definition). Where the admin URL carries a password (password authentication,
 * e.g. the embedded PostgreSQL) the roles get the local passwords of `infraDir`; on a server that trusts local
 * connections they get none. Answers each service's URLs.
 */
export async function prepareServiceDatabase(
  adminUrl: string,
  infraDir: string,
): Promise<Record<DatabaseService, ServiceUrls>> {
  await ensureDatabase(adminUrl);
  const passwords = new URL(adminUrl).password ? ensureLocalDatabasePasswords(infraDir) : undefined;
  const admin = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    const database = decodeURIComponent(new URL(adminUrl).pathname.slice(1));
    await provisionDatabaseRoles(pgQueryable(admin), { database, passwords });
  } finally {
    await admin.end();
  }
  const as = (role: string) => {
    const url = new URL(adminUrl);
    url.username = role;
    url.password = passwords?.[role] ?? '';
    return url.toString();
  };
  const urls = (service: DatabaseService) => ({
    owner: as(ROLES_OF[service].owner),
    runtime: as(ROLES_OF[service].runtime),
  });
  return { 'user-service': urls('user-service'), 'task-service': urls('task-service') };
}
