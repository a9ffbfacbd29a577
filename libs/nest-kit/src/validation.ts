import { ValidationError, ValidationPipe } from '@nestjs/common';
import { CommonErrorCodes, FieldError } from '@taskflow/contracts';
import { AppError } from './errors';

export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = `${prefix}${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((reason) => ({ field, reason }));
    return [...own, ...flattenValidationErrors(error.children ?? [], `${field}.`)];
  });
}

/** Strict DTO validation: unknown properties are rejected (no mass assignment), types transformed. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) =>
      new AppError(
        'validation',
        CommonErrorCodes.validation,
        'The request is invalid.',
        flattenValidationErrors(errors),
      ),
  });
}
