import { UserErrorCodes, USER_ROLES } from '@taskflow/contracts';
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
export class RpcContextDto {
  @IsOptional() @IsObject() @ValidateNested() @Type(() => RpcActorDto) actor?: RpcActorDto;
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9._:-]{1,128}$/) correlationId?: string;
  @IsOptional() @IsString() @MaxLength(128) sessionId?: string;
  @IsOptional() @IsIP() ipAddress?: string;
  @IsOptional() @IsString() @MaxLength(512) userAgent?: string;
}

/** Turns an untrusted payload into a validated instance of `type`, or throws a validation AppError. */
export function validatePayload<T extends object>(type: new () => T, value: unknown, prefix: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError('validation', UserErrorCodes.validation, 'The request is invalid.', [
      { field: prefix, reason: `${prefix} must be an object` },
    ]);
  }
  const instance = plainToInstance(type, value);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    throw new AppError(
      'validation',
      UserErrorCodes.validation,
      'The request is invalid.',
      flattenValidationErrors(errors, `${prefix}.`),
    );
  }
  return instance;
}
