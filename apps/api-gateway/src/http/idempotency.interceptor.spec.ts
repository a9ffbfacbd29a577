import { BadRequestException } from '@nestjs/common';
import { AppError } from '@taskflow/nest-kit';
import { definitelyNotApplied } from './idempotency.interceptor';
import { ProblemException } from './problem.exception';

describe('definitelyNotApplied', () => {
  it.each([
    ['a validation error from the service', new AppError('validation', 'TASK.VALIDATION_FAILED', 'x')],
    ['a key reused under another body', new AppError('unprocessable', 'IDEMPOTENCY.KEY_REUSED', 'x')],
    ['a gateway 4xx', new ProblemException(404, 'ROUTE.NOT_FOUND', 'x')],
    ['a Nest 4xx', new BadRequestException()],
  ])('should free the key after %s', (_name, error) => {
    expect(definitelyNotApplied(error)).toBe(true);
  });

  it.each([
    ['an RPC timeout', new AppError('unavailable', 'SERVICE.UNAVAILABLE', 'x')],
    ['a database outage in the service', new AppError('unavailable', 'DATABASE.UNAVAILABLE', 'x')],
    ['a gateway 503', new ProblemException(503, 'AUTH.SESSION_STORE_UNAVAILABLE', 'x')],
    ['an unknown error', new Error('socket hang up')],
  ])('should keep the key in doubt after %s', (_name, error) => {
    expect(definitelyNotApplied(error)).toBe(false);
  });
});
