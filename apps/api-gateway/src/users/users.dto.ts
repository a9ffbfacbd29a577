import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { USER_PAGE_MAX, USER_ROLES, UserRole } from '@taskflow/contracts';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Max, MaxLength, Min } from 'class-validator';

/** Profile fields a user may set; `null` removes one. Role, email and timestamps are not here on purpose. */
export class ProfileDto {
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @MaxLength(100) firstName?: string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @MaxLength(100) lastName?: string | null;
  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(2048)
  avatarUrl?: string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @MaxLength(64) timezone?: string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @MaxLength(1000) bio?: string | null;
}

export class ListUsersQueryDto {
  @ApiPropertyOptional({ minimum: 1 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) page?: number;
  @ApiPropertyOptional({ minimum: 1, maximum: USER_PAGE_MAX })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(USER_PAGE_MAX)
  limit?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) search?: string;
  @ApiPropertyOptional({ enum: USER_ROLES }) @IsOptional() @IsIn(USER_ROLES) role?: UserRole;
}

export class ChangeRoleRequestDto {
  @ApiProperty({ enum: USER_ROLES }) @IsIn(USER_ROLES) role!: UserRole;
}
