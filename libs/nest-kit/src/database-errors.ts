import { AppError } from './errors';

/** The fields of a PostgreSQL error (node-postgres `DatabaseError`, also copied onto TypeORM's QueryFailedError). */
interface PgError {
  code: string;
  column?: string;
  constraint?: string;
  detail?: string;
}

/** The PostgreSQL error inside `error` (itself, TypeORM's `driverError`, or a `cause`), if any. */
export function postgresErrorOf(error: unknown): PgError | undefined {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth += 1) {
    const { code, severity } = current as { code?: unknown; severity?: unknown };
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof severity === 'string') {
      return current as PgError;
    }
    current =
      (current as { driverError?: unknown; cause?: unknown }).driverError ?? (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Maps a PostgreSQL error that is the client's fault to a 4xx `AppError` naming the field (the column in
 * camelCase, as in the request), or `undefined` for everything else. SQLSTATE 22xxx (data exception: value
 * too long, invalid text, out of range, NUL), 23502 (not null), 23503 (no such referenced row), 23514 (check)
 * → `validation` 400; 23505 (unique) → `conflict` 409. The reason never repeats the row's values (PostgreSQL's
 * `detail` does: `Key (email)=(…)`). The services' own mappings (e.g. `TASK.UNKNOWN_USER`) run first; this is
 * the net under them, so that a value the validators missed is never a retryable 503. Outages: see
 * `isDatabaseUnavailable`.
 */
export function databaseClientError(error: unknown): AppError | undefined {
  const pg = postgresErrorOf(error);
  if (!pg) return undefined;
  const field = fieldOf(pg);
  const invalid = (code: string, message: string, reason: string) =>
    new AppError('validation', code, message, [{ field, reason }], { sqlstate: pg.code });
  if (pg.code.startsWith('22')) {
    return invalid(
      'DATA.INVALID_VALUE',
      'A value cannot be stored as given.',
      DATA_EXCEPTIONS[pg.code] ?? 'invalid value',
    );
  }
  switch (pg.code) {
    case '23502':
      return invalid('DATA.NOT_NULL', 'A required value is missing.', 'must not be null');
    case '23503':
      return invalid('DATA.UNKNOWN_REFERENCE', 'A referenced record does not exist.', 'references nothing');
    case '23514':
      return invalid(
        'DATA.CHECK_FAILED',
        'A value breaks a rule of the stored data.',
        `breaks ${pg.constraint ?? 'a check'}`,
      );
    case '23505':
      return new AppError('conflict', 'DATA.DUPLICATE', 'A record with this value exists already.', [
        { field, reason: 'already exists' },
      ]);
    default:
      return undefined;
  }
}

const DATA_EXCEPTIONS: Record<string, string> = {
  '22001': 'is too long',
  '22003': 'is out of range',
  '22007': 'is not a valid date-time',
  '22008': 'is not a valid date-time',
  '22021': 'contains a character the database cannot store (e.g. NUL)',
  '22P02': 'has an invalid format',
  '22P05': 'contains a character the database cannot store (e.g. NUL or a lone surrogate)',
};

/** The column the error is about: PostgreSQL's `column`, else the first key of `detail` `Key (a, b)=…`. */
function fieldOf(pg: PgError): string {
  const column = pg.column ?? /^Key \((?:lower\()?(\w+)/.exec(pg.detail ?? '')?.[1];
  return column ? column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()) : 'request';
}

/** What a log line may say about an error: never SQL parameters or PostgreSQL's `detail`/`where` (row values). */
export function loggableError(error: unknown): unknown {
  if (!error || typeof error !== 'object') return error;
  const pg = postgresErrorOf(error);
  if (!pg && !('parameters' in error)) return error;
  const { name, message, stack, query } = error as Error & { query?: string };
  const { table, column, constraint, routine } = (pg ?? {}) as {
    table?: string;
    column?: string;
    constraint?: string;
    routine?: string;
  };
  return Object.assign(new Error(message), { name, stack, query, code: pg?.code, table, column, constraint, routine });
}
