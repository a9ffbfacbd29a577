import { postgresSslParamOf } from './connection-strings';
import { byProfile, devOnly, env, Reader } from './env';
import { tlsSettings } from './tls';

/**
 * A PostgreSQL URL without TLS parameters: node-postgres lets `sslmode` & co. in the URL override the `ssl`
 * option built from DATABASE_SSL*, which would silently drop the CA or turn TLS off.
 */
export function postgresUrls<T extends string | string[]>(name: string, reader: Reader<T>): Reader<T> {
  return (source, problems) => {
    const value = reader(source, problems);
    for (const url of ([] as string[]).concat(value ?? [])) {
      const param = postgresSslParamOf(url);
      if (param) {
        problems.push(`${name}: remove "${param}" from the URL; TLS is set with DATABASE_SSL, DATABASE_SSL_CA_FILE`);
        break;
      }
    }
    return value;
  };
}

/**
 * The PostgreSQL settings user-service and task-service share (pool numbers of seed 001 "Connection
 * Pooling", TLS of seed 000/001, slow-query threshold). DATABASE_URL carries credentials: it has a
 * default in development only.
 */
export function postgresConfigSpec() {
  return {
    url: postgresUrls(
      'DATABASE_URL',
      env.postgresUrl('DATABASE_URL', devOnly('postgres://postgres@127.0.0.1:5432/taskflow')),
    ),
    /**
     * The service's schema owner, for migrations (migrate command, MIGRATIONS_RUN); defaults to DATABASE_URL,
     * which is then the owner itself. The server's own connections never use it.
     */
    migrationUrl: postgresUrls('DATABASE_MIGRATION_URL', env.postgresUrl('DATABASE_MIGRATION_URL', '')),
    readUrls: postgresUrls('DATABASE_READ_URLS', env.postgresUrlList('DATABASE_READ_URLS', [])),
    poolMax: env.int('DB_POOL_MAX', byProfile({ development: 10, staging: 20, production: 20 }), { min: 1, max: 1000 }),
    idleTimeoutMs: env.int('DB_IDLE_TIMEOUT_MS', 30_000, { min: 0 }),
    connectTimeoutMs: env.int('DB_CONNECT_TIMEOUT_MS', 2_000, { min: 1 }),
    /** 0 = no statement timeout. */
    statementTimeoutMs: env.int('DB_STATEMENT_TIMEOUT_MS', 10_000, { min: 0 }),
    /** Queries slower than this are logged as warnings; 0 = off. */
    slowQueryMs: env.int('SLOW_QUERY_MS', 200, { min: 0 }),
    tls: tlsSettings('DATABASE_SSL'),
    migrationsRun: env.bool('MIGRATIONS_RUN', false),
  };
}

/**
 * What the `roles` step (user-service `migrate roles`) reads to create the four PostgreSQL roles of the
 * services and grant them their rights: an administrator's URL (superuser, or CREATEROLE and member of the
 * owner roles), TLS as the services use it (DATABASE_SSL*) and one password per role, set (rotated) on every run. Passwords are required: the step
 * exists for deployments; locally `npm start` and the tests create the roles without one (trust auth).
 */
export function databaseRolesConfigSpec() {
  const password = (name: string) => env.string(name);
  return {
    adminUrl: postgresUrls('DATABASE_ADMIN_URL', env.postgresUrl('DATABASE_ADMIN_URL')),
    tls: tlsSettings('DATABASE_SSL'),
    passwords: {
      userOwner: password('USER_SERVICE_DB_OWNER_PASSWORD'),
      userRuntime: password('USER_SERVICE_DB_PASSWORD'),
      taskOwner: password('TASK_SERVICE_DB_OWNER_PASSWORD'),
      taskRuntime: password('TASK_SERVICE_DB_PASSWORD'),
    },
  };
}
