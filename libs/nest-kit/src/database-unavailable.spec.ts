import { isDatabaseUnavailable } from './database-unavailable';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const named = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['terminated by pg_terminate_backend', pgError('57P01', 'terminating connection due to administrator command')],
    ['connection failure', pgError('08006')],
    ['too many connections', pgError('53300')],
    ['refused', pgError('ECONNREFUSED')],
    ['node-postgres drop', new Error('Connection terminated unexpectedly')],
    ['pool timeout', new Error('timeout exceeded when trying to connect')],
    [
      'a query runner TypeORM released when its connection was terminated (seen in the pg_terminate_backend fault)',
      named('QueryRunnerAlreadyReleasedError', 'Query runner already released. Cannot run queries anymore.'),
    ],
    ['wrapped by TypeORM', Object.assign(new Error('query failed'), { driverError: pgError('57P01') })],
    ['a PostgreSQL statement timeout', pgError('57014', 'canceling statement due to statement timeout')],
    ['no MongoDB server', named('MongoServerSelectionError', 'Server selection timed out after 1500 ms')],
    ['a hung MongoDB socket', named('MongoNetworkTimeoutError', 'connection 3 to 127.0.0.1:27017 timed out')],
    ['a MongoDB maxTimeMS', Object.assign(named('MongoServerError', 'operation exceeded time limit'), { code: 50 })],
    ['mongoose before connecting', new Error('Cannot call `event_logs.find()` before initial connection is complete')],
  ])('should recognise %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', pgError('23505')],
    ['a syntax error', pgError('42601')],
    ['a MongoDB duplicate key', Object.assign(named('MongoServerError', 'E11000 duplicate key'), { code: 11000 })],
    ['a plain bug', new TypeError('cannot read properties of undefined')],
    ['a non-error', 'boom'],
    ['nothing', undefined],
  ])('should not treat %s as an outage', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
