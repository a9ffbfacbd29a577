import { USER_MIGRATIONS_TABLE } from '../migrations';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function ident(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`unsafe SQL identifier ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/**
 * Grants for the application role (seeds 001/002): data access only, no DDL. Run by the owner role (the one
 * that runs migrations) after migrating; default privileges cover tables that later migrations create.
 * The role itself is created by the DBA with a password from the secret store, see README.
 */
export function leastPrivilegeSql(appRole: string, database: string, ownerRole: string): string[] {
  const app = ident(appRole);
  const owner = ident(ownerRole);
  return [
    `REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
    `GRANT CONNECT ON DATABASE ${ident(database)} TO ${app}`,
    `GRANT USAGE ON SCHEMA public TO ${app}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${app}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${app}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${app}`,
    // The app only reads the migration history (schema version check).
    `REVOKE INSERT, UPDATE, DELETE ON ${ident(USER_MIGRATIONS_TABLE)} FROM ${app}`,
  ];
}
