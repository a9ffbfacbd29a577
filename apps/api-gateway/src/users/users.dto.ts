import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  USER_PAGE,
  USER_PAGE_LIMIT,
  USER_PAGE_MAX,
  USER_ROLES,
  USER_SEARCH,
  UserFields,
  UserProfileData,
  UserRole,
} from '@taskflow/contracts';

const LENGTH = 'Length in Unicode code points.';

/**
 * Profile fields a user may set (the contract's `UserProfileData` rules); `null` removes one. Role, email
 * and timestamps are not here on purpose.
 */
export class ProfileDto extends UserProfileData {}
const PROFILE_DOCS: Record<string, Parameters<typeof ApiPropertyOptional>[0]> = {
  firstName: { nullable: true, type: String, maxLength: 100, description: LENGTH },
  lastName: { nullable: true, type: String, maxLength: 100, description: LENGTH },
  avatarUrl: { nullable: true, type: String, maxLength: 2048, format: 'uri', description: 'Absolute http(s) URL.' },
  timezone: { nullable: true, type: String, maxLength: 64, description: 'IANA zone name, e.g. Europe/Berlin.' },
  bio: { nullable: true, type: String, maxLength: 1000, description: LENGTH },
};
for (const [name, doc] of Object.entries(PROFILE_DOCS)) ApiPropertyOptional(doc)(ProfileDto.prototype, name);

export class ListUsersQueryDto {
  @ApiPropertyOptional({ minimum: 1, type: 'integer' }) @USER_PAGE.optional() page?: number;
  @ApiPropertyOptional({ minimum: 1, maximum: USER_PAGE_MAX, type: 'integer' })
  @USER_PAGE_LIMIT.optional()
  limit?: number;
  @ApiPropertyOptional({ minLength: 1, maxLength: 100, description: 'At least one visible character.' })
  @USER_SEARCH.optional()
  search?: string;
  @ApiPropertyOptional({ enum: USER_ROLES }) @UserFields.role.optional() role?: UserRole;
}

export class ChangeRoleRequestDto {
  @ApiProperty({ enum: USER_ROLES }) @UserFields.role.required() role!: UserRole;
}
