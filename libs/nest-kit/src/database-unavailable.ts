import { CommonErrorCodes } from '@taskflow/contracts';
import { AppError } from './errors';

/**
 * True when an error means "the database could not be reached, dropped the connection or gave up in time"
 * rather than "the statement or its data was wrong". Such a request is answered as a retryable 503
 * (`databaseUnavailable()`), logged as a warning, not as a bug.
 * - PostgreSQL: SQLSTATE class 08 (connection exception), class 53 (insufficient resources: too many connections,
 *   out of memory, disk full), 57P01-57P03 (terminated by an administrator, crash shutdown, cannot connect now),
 *   57014 (cancelled: statement timeout), 55P03 (lock timeout), 40001/40P01 (serialization failure, deadlock:
 *   retry), node-postgres' and TypeORM's own connection errors (a query runner TypeORM released because its
 *   connection was terminated mid-transaction answers `QueryRunnerAlreadyReleasedError`).
 * - MongoDB: the driver's network, server-selection and pool errors, server codes for a deadline (50
 *   MaxTimeMSExpired, 262 ExceededTimeLimit), a shutdown or a primary change, and mongoose's "not connected yet".
 * - Either: a refused, reset or timed-out socket.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth += 1) {
    const { code, message, name } = current as { code?: unknown; message?: unknown; name?: unknown };
    if (typeof code === 'string' && TRANSIENT_SQLSTATE.test(code)) return true;
    if (typeof code === 'string' && SOCKET_CODES.includes(code)) return true;
    if (typeof name === 'string' && MONGO_UNAVAILABLE_ERRORS.includes(name)) return true;
    if (name === 'QueryRunnerAlreadyReleasedError') return true; // TypeORM released it: its connection died
    if (typeof code === 'number' && name === 'MongoServerError' && MONGO_UNAVAILABLE_CODES.includes(code)) return true;
    if (typeof message === 'string' && CONNECTION_MESSAGES.some((pattern) => pattern.test(message))) return true;
    current =
      (current as { driverError?: unknown; cause?: unknown }).driverError ?? (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The one answer to an unavailable database, over RPC and HTTP alike (503, retryable). */
export function databaseUnavailable(): AppError {
  return new AppError(
    'unavailable',
    CommonErrorCodes.databaseUnavailable,
    'The database is unavailable, try again later.',
  );
}

const SOCKET_CODES = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'];

const MONGO_UNAVAILABLE_ERRORS = [
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'MongoOperationTimeoutError',
];

/** MaxTimeMSExpired, ExceededTimeLimit, HostUnreachable, HostNotFound, NetworkTimeout, SocketException,
 * ShutdownInProgress, InterruptedAtShutdown, InterruptedDueToReplStateChange, PrimarySteppedDown,
 * NotWritablePrimary, NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary. */
const MONGO_UNAVAILABLE_CODES = [50, 262, 6, 7, 89, 9001, 91, 11600, 11602, 189, 10107, 13435, 13436];

const TRANSIENT_SQLSTATE = /^(08...|53...|57P0[123]|57014|55P03|40001|40P01)$/;

const CONNECTION_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Client was closed and is not queryable/i,
  /before initial connection is complete/i,
  /MongoDB connection is not open/i,
];
