import { ApiPropertyOptional } from '@nestjs/swagger';
import { USER_PAGE, USER_PAGE_LIMIT, USER_SEARCH, UserFields, UserProfileData, UserRole } from '@taskflow/contracts';

/**
 * Profile fields a user may set (the contract's `UserProfileData`, rules and schema from UserFields); `null`
 * removes one. Role, email and timestamps are not here on purpose.
 */
export class ProfileDto extends UserProfileData {}

export class ListUsersQueryDto {
  @USER_PAGE.optional() page?: number;
  @USER_PAGE_LIMIT.optional() limit?: number;
  @ApiPropertyOptional({
    description: 'Case-insensitive part of the email, first name or last name; at least one visible character.',
  })
  @USER_SEARCH.optional()
  search?: string;
  @UserFields.role.optional() role?: UserRole;
}

export class ChangeRoleRequestDto {
  @UserFields.role.required() role!: UserRole;
}
