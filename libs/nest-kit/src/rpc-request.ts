import { RpcContext, USER_ROLES } from '@taskflow/contracts';
import { plainToInstance, Type } from 'class-transformer';
import {
  IsIn,
  IsIP,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  validateSync,
  ValidateNested,
} from 'class-validator';
import { AppError } from './errors';
import { acceptOrCreateCorrelationId, runWithContext } from './request-context';
import { flattenValidationErrors } from './validation';

class RpcActorDto {
  @IsUUID() id!: string;
  @IsIn(USER_ROLES) role!: (typeof USER_ROLES)[number];
}

/** The `context` of every request: it ends up in events, so it is validated like the data. */
export class RpcContextDto {
  @IsOptional() @IsObject() @ValidateNested() @Type(() => RpcActorDto) actor?: RpcActorDto;
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9._:-]{1,128}$/) correlationId?: string;
  @IsOptional() @IsString() @MaxLength(128) sessionId?: string;
  @IsOptional() @IsIP() ipAddress?: string;
  @IsOptional() @IsString() @MaxLength(512) userAgent?: string;
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

/** Validates a request/reply message `{ context?, data }`. */
export function parseRpcRequest<T extends object>(
  type: new () => T,
  request: unknown,
  errorCode: string,
): { context: RpcContext; data: T } {
  const invalid = (field: string, reason: string) =>
    new AppError('validation', errorCode, 'The request is invalid.', [{ field, reason }]);
  if (!isObject(request)) throw invalid('request', 'must be an object');
  const unknownKey = Object.keys(request).find((key) => key !== 'context' && key !== 'data');
  if (unknownKey) throw invalid(unknownKey, `property ${unknownKey} should not exist`);
  if (request.context !== undefined && !isObject(request.context)) throw invalid('context', 'must be an object');
  if (!isObject(request.data)) throw invalid('data', 'must be an object');
  return {
    context: validatePayload(RpcContextDto, request.context ?? {}, errorCode, 'context.'),
    data: validatePayload(type, request.data, errorCode),
  };
}

const CORRELATION_ID = Symbol('correlationId');

/**
 * Validates a request, then runs the use case under the caller's correlation id (or a new one). A failure
 * carries that id out to the error filter, which runs after the request's async context has ended.
 */
export async function handleRpcRequest<T extends object, R>(
  type: new () => T,
  request: unknown,
  errorCode: string,
  run: (context: RpcContext, data: T) => Promise<R>,
): Promise<R> {
  const { context, data } = parseRpcRequest(type, request, errorCode);
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
