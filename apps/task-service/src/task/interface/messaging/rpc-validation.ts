import { RpcContext, RpcRequest, TaskErrorCodes, USER_ROLES } from '@taskflow/contracts';
import { AppError, flattenValidationErrors } from '@taskflow/nest-kit';
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

class RpcActorDto {
  @IsUUID() id!: string;
  @IsIn(USER_ROLES) role!: (typeof USER_ROLES)[number];
}

/** The `context` of every request: it ends up in events, so it is validated like the data. */
class RpcContextDto {
  @IsOptional() @IsObject() @ValidateNested() @Type(() => RpcActorDto) actor?: RpcActorDto;
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9._:-]{1,128}$/) correlationId?: string;
  @IsOptional() @IsString() @MaxLength(128) sessionId?: string;
  @IsOptional() @IsIP() ipAddress?: string;
  @IsOptional() @IsString() @MaxLength(512) userAgent?: string;
}

function validated<T extends object>(type: new () => T, value: unknown, prefix: string): T {
  const instance = plainToInstance(type, value ?? {});
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    throw new AppError(
      'validation',
      TaskErrorCodes.validation,
      'The request is invalid.',
      flattenValidationErrors(errors, prefix),
    );
  }
  return instance;
}

/** Validates a request's context and data; unknown fields are rejected (no mass assignment). */
export function parseRpcRequest<T extends object>(
  type: new () => T,
  request: unknown,
): { context: RpcContext; data: T } {
  const { context, data } = (request ?? {}) as Partial<RpcRequest<unknown>>;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new AppError('validation', TaskErrorCodes.validation, 'The request has no data object.', [
      { field: 'data', reason: 'must be an object' },
    ]);
  }
  return { context: validated(RpcContextDto, context, 'context.'), data: validated(type, data, '') };
}
