import { isDatabaseUnavailable } from './database-unavailable';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['terminated by pg_terminate_backend', pgError('57P01', 'terminating connection due to administrator command')],
    ['connection failure', pgError('08006')],
    ['too many connections', pgError('53300')],
    ['refused', pgError('ECONNREFUSED')],
    ['node-postgres drop', new Error('Connection terminated unexpectedly')],
    ['pool timeout', new Error('timeout exceeded when trying to connect')],
    ['wrapped by TypeORM', Object.assign(new Error('query failed'), { driverError: pgError('57P01') })],
  ])('should recognise %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', pgError('23505')],
    ['a syntax error', pgError('42601')],
    ['a plain bug', new TypeError('cannot read properties of undefined')],
    ['a non-error', 'boom'],
    ['nothing', undefined],
  ])('should not treat %s as an outage', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
