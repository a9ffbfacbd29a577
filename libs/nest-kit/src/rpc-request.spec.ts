import { ListUsersQuery, RegisterUserData, UpdateProfileData } from '@taskflow/contracts';
import { AppError } from './errors';
import { parseRpcRequest } from './rpc-request';

const CODE = 'USER.VALIDATION_FAILED';

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    return error as AppError;
  }
  throw new Error('expected a validation error');
}

const fieldsOf = (fn: () => unknown) =>
  errorOf(fn)
    .fieldErrors?.map((field) => field.field)
    .sort();

describe('parseRpcRequest', () => {
  it('should accept a valid request and keep nested data', () => {
    const { context, data } = parseRpcRequest(
      RegisterUserData,
      {
        context: { correlationId: 'abc-1', ipAddress: '127.0.0.1' },
        data: { email: 'ada@example.com', password: 'correct horse', profile: { firstName: 'Ada' } },
      },
      CODE,
    );
    expect(data.profile).toEqual({ firstName: 'Ada' });
    expect(context).toMatchObject({ correlationId: 'abc-1', ipAddress: '127.0.0.1' });
  });

  it('should reject unknown fields at any depth, named as in the HTTP body, with the caller’s code', () => {
    const request = { data: { userId: 'nope', profile: { isAdmin: true }, role: 'admin' } };
    expect(errorOf(() => parseRpcRequest(UpdateProfileData, request, CODE))).toMatchObject({
      kind: 'validation',
      code: CODE,
    });
    expect(fieldsOf(() => parseRpcRequest(UpdateProfileData, request, CODE))).toEqual([
      'profile.isAdmin',
      'role',
      'userId',
    ]);
  });

  it('should reject a password longer than bcrypt can use and a page larger than 100', () => {
    expect(
      fieldsOf(() =>
        parseRpcRequest(RegisterUserData, { data: { email: 'ada@example.com', password: 'x'.repeat(73) } }, CODE),
      ),
    ).toEqual(['password']);
    expect(fieldsOf(() => parseRpcRequest(ListUsersQuery, { data: { limit: 500 } }, CODE))).toEqual(['limit']);
  });

  it('should reject a malformed envelope and say which part', () => {
    expect(errorOf(() => parseRpcRequest(ListUsersQuery, 'x', CODE)).fieldErrors).toEqual([
      { field: 'request', reason: 'must be an object' },
    ]);
    expect(errorOf(() => parseRpcRequest(ListUsersQuery, { data: 'x' }, CODE)).fieldErrors).toEqual([
      { field: 'data', reason: 'must be an object' },
    ]);
    expect(errorOf(() => parseRpcRequest(ListUsersQuery, { data: {}, extra: 1 }, CODE)).fieldErrors).toEqual([
      { field: 'extra', reason: 'property extra should not exist' },
    ]);
    expect(errorOf(() => parseRpcRequest(ListUsersQuery, { context: [], data: {} }, CODE)).fieldErrors).toEqual([
      { field: 'context', reason: 'must be an object' },
    ]);
  });

  it('should validate the context that ends up in events', () => {
    expect(
      fieldsOf(() =>
        parseRpcRequest(
          ListUsersQuery,
          { context: { actor: { id: 'x', role: 'root' }, ipAddress: 'nope', correlationId: 'a b' }, data: {} },
          CODE,
        ),
      ),
    ).toEqual(['context.actor.id', 'context.actor.role', 'context.correlationId', 'context.ipAddress']);
  });
});
