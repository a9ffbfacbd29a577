import { postgresSsl, TlsSettings } from '@taskflow/config';
import type { Logger as PinoLogger } from 'pino';
import type { DataSourceOptions, Logger as TypeOrmLogger } from 'typeorm';

/** What the shared PostgreSQL options need from an app's config (see postgresConfigSpec in @taskflow/config). */
const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A table name that is safe to interpolate into SQL (lower-case identifier, ≤ 63 bytes); else throws naming `what`. */
export function assertTableName(table: string, what = 'table'): string {
  if (!TABLE_NAME.test(table)) throw new Error(`invalid ${what} name ${JSON.stringify(table)}`);
  return table;
}

export interface PostgresSettings {
  url: string;
  readUrls: string[];
  poolMax: number;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  slowQueryMs: number;
  tls: TlsSettings;
}

/**
 * Logs queries slower than the threshold as a pino warning: the SQL text (bind parameters stay out: they
 * carry emails and password hashes), the duration and the correlation id. TypeORM's own query logging
 * stays off for the same reason.
 */
export class SlowQueryLogger implements TypeOrmLogger {
  constructor(private readonly logger: PinoLogger) {}

  logQuerySlow(time: number, query: string): void {
    // The logger's mixin adds the correlation id of the request or message being served.
    this.logger.warn({ durationMs: time, sql: query.length > 2000 ? `${query.slice(0, 2000)}…` : query }, 'slow query');
  }

  logQuery(): void {}
  logQueryError(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

/**
 * TypeORM connection options for one service: pool limits, TLS, statement timeout, slow-query logging and
 * optional read replicas (replication routes `createQueryRunner('slave')` to a replica; transactions and the
 * default runner use the primary). The caller adds entities and migrations.
 */
export function postgresConnectionOptions(
  db: PostgresSettings,
  options: { applicationName: string; url?: string; logger?: PinoLogger },
): Pick<
  DataSourceOptions & { type: 'postgres' },
  'type' | 'url' | 'replication' | 'extra' | 'ssl' | 'logging' | 'logger' | 'maxQueryExecutionTime'
> {
  const url = options.url ?? db.url;
  const ssl = postgresSsl(db.tls);
  return {
    type: 'postgres',
    ...(db.readUrls.length > 0
      ? // TypeORM takes `ssl` from each replication entry, not from the top level.
        { replication: { master: { url, ssl }, slaves: db.readUrls.map((readUrl) => ({ url: readUrl, ssl })) } }
      : { url, ssl }),
    extra: {
      max: db.poolMax,
      idleTimeoutMillis: db.idleTimeoutMs,
      connectionTimeoutMillis: db.connectTimeoutMs,
      application_name: options.applicationName,
      ...(db.statementTimeoutMs > 0 ? { statement_timeout: db.statementTimeoutMs } : {}),
    },
    logging: false,
    ...(options.logger && db.slowQueryMs > 0
      ? { logger: new SlowQueryLogger(options.logger), maxQueryExecutionTime: db.slowQueryMs }
      : {}),
  };
}
