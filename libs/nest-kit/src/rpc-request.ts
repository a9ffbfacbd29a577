import { CommonErrorCodes, IDEMPOTENCY_KEY_FORMAT, RpcContext, RpcDefinition } from '@taskflow/contracts';
import { plainToInstance } from 'class-transformer';
import { IsIP, IsOptional, IsString, Matches, MaxLength, validateSync } from 'class-validator';
import { JwtVerifier, TokenSubject } from './auth/jwt';
import { AppError } from './errors';
import { acceptOrCreateCorrelationId, runWithContext } from './request-context';
import { flattenValidationErrors } from './validation';

/**
 * The `context` of every request as it travels: the caller's credential (the only source of who is asking) plus
 * request facts that end up in event metadata, validated like the data. An `actor` or `sessionId` written here
 * is refused as an unknown field: identity comes from the verified credential alone.
 */
export class RpcContextDto {
  @IsString() credential!: string;
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9._:-]{1,128}$/) correlationId?: string;
  @IsOptional() @IsIP() ipAddress?: string;
  @IsOptional() @IsString() @MaxLength(512) userAgent?: string;
  @IsOptional() @IsString() @Matches(IDEMPOTENCY_KEY_FORMAT) idempotencyKey?: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Turns an untrusted value into a validated instance of `type`; unknown fields are rejected at any depth (no mass
 * assignment). Field errors are named `${prefix}${path}`: data fields as in the HTTP body ("title"), so the gateway
 * can hand them to the client unchanged.
 */
export function validatePayload<T extends object>(
  type: new () => T,
  value: unknown,
  errorCode: string,
  prefix = '',
): T {
  const instance = plainToInstance(type, value);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    throw new AppError('validation', errorCode, 'The request is invalid.', flattenValidationErrors(errors, prefix));
  }
  return instance;
}

/** Longest credential looked at; the gateway's are a few hundred characters. */
const CREDENTIAL_MAX_LENGTH = 4096;

/**
 * Validates a request/reply message `{ context, data }` and derives the caller from `context.credential`, a token
 * the gateway minted for this service (verified by `callers`). The credential is checked first: a caller without
 * a valid one gets `unauthorized` `RPC.CREDENTIAL_INVALID` and nothing else — no field names, nothing about the
 * request's shape. Only then is the envelope validated: AppError `validation` (field named) for a bad shape.
 */
export function parseRpcRequest<T extends object>(
  type: new () => T,
  request: unknown,
  errorCode: string,
  callers: JwtVerifier,
): { context: RpcContext; data: T } {
  const { caller, envelope } = authenticate(request, callers);
  const invalid = (field: string, reason: string) =>
    new AppError('validation', errorCode, 'The request is invalid.', [{ field, reason }]);
  const unknownKey = Object.keys(envelope).find((key) => key !== 'context' && key !== 'data');
  if (unknownKey) throw invalid(unknownKey, `property ${unknownKey} should not exist`);
  const { credential: _verified, ...facts } = validatePayload(RpcContextDto, envelope.context, errorCode, 'context.');
  if (!isObject(envelope.data)) throw invalid('data', 'must be an object');
  return {
    context: { ...facts, actor: caller.actor, sessionId: caller.sessionId },
    data: validatePayload(type, envelope.data, errorCode),
  };
}

/**
 * The caller a request's `context.credential` names (read from nothing else) and the request as an object; one
 * answer for every failure, whatever else the request holds.
 */
function authenticate(
  request: unknown,
  callers: JwtVerifier,
): { caller: TokenSubject; envelope: Record<string, unknown> } {
  const credential = isObject(request) && isObject(request.context) ? request.context.credential : undefined;
  const caller =
    typeof credential === 'string' && credential.length <= CREDENTIAL_MAX_LENGTH
      ? callers.verify(credential)
      : undefined;
  if (!caller) throw credentialInvalid();
  return { caller, envelope: request as Record<string, unknown> };
}

/**
 * The one answer to a call without a valid credential: `unauthorized` `RPC.CREDENTIAL_INVALID`. DrainingTcpServer
 * answers an unknown pattern with it too, so an anonymous peer cannot tell which operations exist.
 */
export function credentialInvalid(): AppError {
  return new AppError('unauthorized', CommonErrorCodes.credentialInvalid, 'The call carries no valid credential.');
}

const CORRELATION_ID = Symbol('correlationId');

/**
 * Validates and authenticates a request of `rpc` (its request class; the use case must answer its answer type),
 * then runs the use case under the caller's correlation id (or a new one). A failure
 * carries that id out to the error filter, which runs after the request's async context has ended.
 */
export async function handleRpcRequest<T extends object, R>(
  rpc: RpcDefinition<T, R>,
  request: unknown,
  errorCode: string,
  callers: JwtVerifier,
  run: (context: RpcContext, data: T) => Promise<R>,
): Promise<R> {
  const { context, data } = parseRpcRequest(rpc.request, request, errorCode, callers);
  const correlationId = acceptOrCreateCorrelationId(context.correlationId);
  try {
    return await runWithContext({ correlationId }, () => run({ ...context, correlationId }, data));
  } catch (error) {
    if (error && typeof error === 'object' && !(CORRELATION_ID in error)) {
      Object.defineProperty(error, CORRELATION_ID, { value: correlationId });
    }
    throw error;
  }
}

/** The correlation id of the request an error failed, from `handleRpcRequest`, else from the raw request. */
export function correlationIdOf(error: unknown, request?: unknown): string | undefined {
  const carried =
    error && typeof error === 'object' ? (error as { [CORRELATION_ID]?: string })[CORRELATION_ID] : undefined;
  const sent = (request as { context?: { correlationId?: unknown } } | undefined)?.context?.correlationId;
  return carried ?? (typeof sent === 'string' ? sent : undefined);
}
