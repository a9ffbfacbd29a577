import { ListUsersQuery, RegisterUserData, UpdateProfileData } from '@taskflow/contracts';
import { generateKeyPairSync } from 'node:crypto';
import { JwtSigner, JwtVerifier, RPC_AUDIENCE } from './auth/jwt';
import { AppError } from './errors';
import { parseRpcRequest as parseWith } from './rpc-request';

const CODE = 'USER.VALIDATION_FAILED';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer = new JwtSigner({ kid: 'k1', privateKey, publicKey });
const callers = new JwtVerifier(new Map([['k1', publicKey]]), RPC_AUDIENCE.user);
const ada = { id: '00000000-0000-4000-8000-000000000001', role: 'user' as const };
const credential = signer.sign({ actor: ada, sessionId: 'session-1' }, RPC_AUDIENCE.user, 60);

/** Adds a valid credential to a request's context (when it is an object), as the gateway does. */
function parseRpcRequest<T extends object>(type: new () => T, request: unknown, code: string) {
  const withCredential =
    typeof request === 'object' && request !== null && !Array.isArray((request as { context?: unknown }).context)
      ? { ...request, context: { credential, ...((request as { context?: object }).context ?? {}) } }
      : request;
  return parseWith(type, withCredential, code, callers);
}

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
    expect(context).toEqual({ correlationId: 'abc-1', ipAddress: '127.0.0.1', actor: ada, sessionId: 'session-1' });
  });

  it('should take the actor and session from the credential alone, and refuse any other caller', () => {
    const refused = (context: unknown) =>
      errorOf(() => parseWith(ListUsersQuery, { context, data: {} }, CODE, callers));
    for (const context of [
      undefined,
      {},
      { credential: 'not-a-token' },
      { credential: signer.sign({ actor: ada }, RPC_AUDIENCE.task, 60) },
    ]) {
      expect(refused(context)).toMatchObject({ kind: 'unauthorized', code: 'RPC.CREDENTIAL_INVALID' });
    }
    expect(refused({ credential, actor: { ...ada, role: 'admin' } }).fieldErrors).toEqual([
      { field: 'context.actor', reason: 'property actor should not exist' },
    ]);
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

  it('should check the credential before anything else: without a valid one, nothing about the shape is told', () => {
    const forged = signer.sign({ actor: ada }, RPC_AUDIENCE.task, 60);
    for (const request of [
      'x',
      null,
      [],
      42,
      { extra: 1 },
      { data: 'x' },
      { context: 'x', data: {} },
      { context: [credential], data: {} },
      { context: { ipAddress: 'nope', correlationId: 'a b' }, data: { limit: 500, nope: 1 } },
      { context: { credential: forged, actor: { ...ada, role: 'admin' } }, data: 'x', extra: 1 },
      { context: { credential: 'x'.repeat(5000) }, data: {} },
      { context: { credential: 42 }, data: {} },
    ]) {
      const error = errorOf(() => parseWith(ListUsersQuery, request, CODE, callers));
      expect({ request, error: error.toRpcBody() }).toEqual({
        request,
        error: {
          kind: 'unauthorized',
          code: 'RPC.CREDENTIAL_INVALID',
          message: 'The call carries no valid credential.',
          fieldErrors: undefined,
          details: undefined,
        },
      });
    }
  });

  it('should reject a malformed envelope of an authenticated caller and say which part', () => {
    expect(errorOf(() => parseRpcRequest(ListUsersQuery, { data: 'x' }, CODE)).fieldErrors).toEqual([
      { field: 'data', reason: 'must be an object' },
    ]);
    expect(errorOf(() => parseRpcRequest(ListUsersQuery, { data: {}, extra: 1 }, CODE)).fieldErrors).toEqual([
      { field: 'extra', reason: 'property extra should not exist' },
    ]);
  });

  it('should validate the context that ends up in events', () => {
    expect(
      fieldsOf(() =>
        parseRpcRequest(ListUsersQuery, { context: { ipAddress: 'nope', correlationId: 'a b' }, data: {} }, CODE),
      ),
    ).toEqual(['context.correlationId', 'context.ipAddress']);
  });
});
