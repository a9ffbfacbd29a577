import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CREDENTIAL_EMAIL, CREDENTIAL_PASSWORD, UserFields, UserView } from '@taskflow/contracts';
import { Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, Matches, ValidateNested } from 'class-validator';
import { ProfileDto } from '../users/users.dto';

export class RegisterRequestDto {
  @ApiProperty({ example: 'ada@example.com' }) @UserFields.email.required() email!: string;
  @UserFields.password.required() password!: string;
  @ApiPropertyOptional({ type: () => ProfileDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ProfileDto)
  profile?: ProfileDto;
}

export class LoginRequestDto {
  @CREDENTIAL_EMAIL.required() email!: string;
  @CREDENTIAL_PASSWORD.required() password!: string;
}

export class RefreshRequestDto {
  @ApiProperty({ description: 'The refresh token from login or the previous refresh (single use).' })
  @IsString()
  @Matches(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{20,100}$/)
  refreshToken!: string;
}

export class TokenResponseDto {
  @ApiProperty() accessToken!: string;
  @ApiProperty({ example: 'Bearer' }) tokenType!: 'Bearer';
  @ApiProperty({ description: 'Seconds until the access token expires.' }) expiresIn!: number;
  @ApiProperty({ description: 'Single-use; rotated by POST /auth/refresh.' }) refreshToken!: string;
}

/** `GET /auth/me`: the caller's user and the session its token belongs to. */
export class IdentityResponseDto extends UserView {
  @ApiProperty({ description: 'The session of the access token (ends at logout).' }) sessionId!: string;
}
