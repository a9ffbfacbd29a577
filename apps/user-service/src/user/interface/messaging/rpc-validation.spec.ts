import { ListUsersQuery, RegisterUserData, UpdateProfileData } from '@taskflow/contracts';
import { AppError } from '@taskflow/nest-kit';
import { RpcContextDto, validatePayload } from './rpc-validation';

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    return error as AppError;
  }
  throw new Error('expected a validation error');
}

describe('validatePayload', () => {
  it('should accept a valid registration and keep its nested profile', () => {
    const data = validatePayload(
      RegisterUserData,
      { email: 'ada@example.com', password: 'correct horse', profile: { firstName: 'Ada' } },
      'data',
    );
    expect(data.profile).toEqual({ firstName: 'Ada' });
  });

  it('should reject unknown fields at any depth and say where', () => {
    const error = errorOf(() =>
      validatePayload(UpdateProfileData, { userId: 'nope', profile: { isAdmin: true }, role: 'admin' }, 'data'),
    );
    expect(error).toMatchObject({ kind: 'validation', code: 'USER.VALIDATION_FAILED' });
    expect(error.fieldErrors?.map((field) => field.field).sort()).toEqual([
      'data.profile.isAdmin',
      'data.role',
      'data.userId',
    ]);
  });

  it('should reject a password longer than bcrypt can use', () => {
    const error = errorOf(() =>
      validatePayload(RegisterUserData, { email: 'ada@example.com', password: 'x'.repeat(73) }, 'data'),
    );
    expect(error.fieldErrors).toEqual([expect.objectContaining({ field: 'data.password' })]);
  });

  it('should reject a page larger than 100 and a non-object payload', () => {
    expect(errorOf(() => validatePayload(ListUsersQuery, { limit: 500 }, 'data')).fieldErrors?.[0].field).toBe(
      'data.limit',
    );
    expect(errorOf(() => validatePayload(ListUsersQuery, 'x', 'data')).fieldErrors).toEqual([
      { field: 'data', reason: 'data must be an object' },
    ]);
  });

  it('should validate the context that ends up in events', () => {
    const error = errorOf(() =>
      validatePayload(
        RpcContextDto,
        { actor: { id: 'x', role: 'root' }, ipAddress: 'nope', correlationId: 'a b' },
        'context',
      ),
    );
    expect(error.fieldErrors?.map((field) => field.field).sort()).toEqual([
      'context.actor.id',
      'context.actor.role',
      'context.correlationId',
      'context.ipAddress',
    ]);
  });
});
