/**
 * True when an error means "the database could not be reached, dropped the connection or gave up in time"
 * rather than "the statement or its data was wrong": SQLSTATE class 08 (connection exception), class 53
 * (insufficient resources: too many connections, out of memory, disk full), 57P01-57P03 (terminated by an
 * administrator, crash shutdown, cannot connect now), 57014 (cancelled: statement timeout), 55P03 (lock
 * timeout), 40001/40P01 (serialization failure, deadlock: retry), and node-postgres' own connection errors.
 * Such a request is answered as a retryable 503, logged as a warning, not as a bug.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth += 1) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && TRANSIENT_SQLSTATE.test(code)) return true;
    if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
    if (typeof message === 'string' && CONNECTION_MESSAGES.some((pattern) => pattern.test(message))) return true;
    current =
      (current as { driverError?: unknown; cause?: unknown }).driverError ?? (current as { cause?: unknown }).cause;
  }
  return false;
}

const TRANSIENT_SQLSTATE = /^(08...|53...|57P0[123]|57014|55P03|40001|40P01)$/;

const CONNECTION_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Client was closed and is not queryable/i,
];
