import { QueryFailedError } from 'typeorm';
import { databaseClientError, loggableError } from './database-errors';
import { isDatabaseUnavailable } from './database-unavailable';
import { createLogger } from './logger';

const pg = (code: string, fields: Record<string, string> = {}) =>
  Object.assign(new Error(`pg ${code}`), { code, severity: 'ERROR', ...fields });
const failed = (error: Error, parameters: unknown[] = []) =>
  new QueryFailedError('INSERT INTO users (email, password_hash) VALUES ($1, $2)', parameters, error);

describe('database errors by SQLSTATE class', () => {
  it.each([
    ['22001', {}, 400, 'DATA.INVALID_VALUE', 'request'],
    ['22021', { column: 'title' }, 400, 'DATA.INVALID_VALUE', 'title'],
    ['22P05', {}, 400, 'DATA.INVALID_VALUE', 'request'],
    ['23502', { column: 'due_date' }, 400, 'DATA.NOT_NULL', 'dueDate'],
    [
      '23503',
      { detail: 'Key (assignee_id)=(x) is not present in table "users".' },
      400,
      'DATA.UNKNOWN_REFERENCE',
      'assigneeId',
    ],
    ['23505', { detail: 'Key (lower(email::text))=(a@b.c) already exists.' }, 409, 'DATA.DUPLICATE', 'email'],
    ['23514', { constraint: 'chk_version_positive' }, 400, 'DATA.CHECK_FAILED', 'request'],
  ])('should answer SQLSTATE %s as a client error naming the field', (code, fields, status, problem, field) => {
    const error = databaseClientError(failed(pg(code, fields)));
    expect(error).toBeDefined();
    expect(error!.kind).toBe(status === 409 ? 'conflict' : 'validation');
    expect(error!.code).toBe(problem);
    expect(error!.fieldErrors?.[0].field).toBe(field);
    expect(JSON.stringify(error!.toRpcBody())).not.toContain('a@b.c');
  });

  it.each(['08006', '53300', '53200', '57P01', '57014', '40001', '40P01', '55P03'])(
    'should answer SQLSTATE %s as unavailable (503), not as a client error',
    (code) => {
      expect(databaseClientError(failed(pg(code)))).toBeUndefined();
      expect(isDatabaseUnavailable(failed(pg(code)))).toBe(true);
    },
  );

  it('should treat a syntax error or a plain bug as neither', () => {
    expect(databaseClientError(failed(pg('42601')))).toBeUndefined();
    expect(isDatabaseUnavailable(failed(pg('42601')))).toBe(false);
    expect(databaseClientError(new TypeError('x'))).toBeUndefined();
  });

  it('should never log the parameters or the detail of a failed statement', () => {
    const lines: string[] = [];
    const logger = createLogger('test', 'info', { write: (line: string) => void lines.push(line) });
    const hash = '$2b$10$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQ';
    const error = failed(pg('22P05', { detail: 'Key (email)=(ada@example.com)', where: 'ada@example.com' }), [
      'ada@example.com',
      hash,
    ]);
    logger.error({ err: error }, 'rpc handler failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('ada@example.com');
    expect(lines[0]).not.toContain(hash);
    expect(JSON.parse(lines[0]).err).toMatchObject({ code: '22P05', query: expect.stringContaining('INSERT') });
    expect(loggableError('boom')).toBe('boom');
  });
});
