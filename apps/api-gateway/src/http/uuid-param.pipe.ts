import { CommonErrorCodes } from '@taskflow/contracts';
import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { AppError } from '@taskflow/nest-kit';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * `@Param('id', UuidParam)`: the same 400 as the class-validator DTO it replaces, without running
 * class-transformer and class-validator on every GET (they cost ~5 % of a cached task read). Answers the
 * canonical lower-case spelling (as `IsCanonicalUuid` does), so one task has one cache key.
 */
@Injectable()
export class UuidParam implements PipeTransform<unknown, string> {
  transform(value: unknown, metadata: ArgumentMetadata): string {
    if (isUuid(value)) return value.toLowerCase();
    const field = metadata.data ?? 'id';
    throw new AppError('validation', CommonErrorCodes.validation, 'The request is invalid.', [
      { field, reason: `${field} must be a UUID` },
    ]);
  }
}
