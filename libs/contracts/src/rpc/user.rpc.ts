import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { USER_ROLES, UserRole } from '../events/payloads';

/**
 * Request/response shapes of the `UserPatterns` RPCs (user-service). Each request is an
 * `RpcRequest<XxxData>`; the service validates `data` with these classes (unknown fields are rejected)
 * and answers failures as `RpcErrorBody` with one of `UserErrorCodes`.
 */

/** Stable error codes of user-service. */
export const UserErrorCodes = {
  validation: 'USER.VALIDATION_FAILED',
  emailTaken: 'USER.EMAIL_TAKEN',
  /** Same code, kind `unauthorized`, for an unknown email and a wrong password. */
  invalidCredentials: 'USER.INVALID_CREDENTIALS',
  notFound: 'USER.NOT_FOUND',
  forbidden: 'USER.FORBIDDEN',
  /** An operation that needs an actor was called without `context.actor`. */
  unauthenticated: 'USER.UNAUTHENTICATED',
} as const;

/** Longest accepted password: bcrypt ignores everything after 72 bytes. */
export const PASSWORD_MAX_LENGTH = 72;
export const PASSWORD_MIN_LENGTH = 8;
/** Largest page of `user.list`. */
export const USER_PAGE_MAX = 100;

/** The profile stored in `users.profile` (JSONB). Every field optional; `null` in an update removes it. */
export class UserProfileData {
  @IsOptional() @IsString() @MaxLength(100) firstName?: string | null;
  @IsOptional() @IsString() @MaxLength(100) lastName?: string | null;
  /** Absolute http(s) URL. */
  @IsOptional() @IsUrl({ protocols: ['http', 'https'], require_protocol: true }) @MaxLength(2048) avatarUrl?:
    string | null;
  /** IANA zone name, e.g. `Europe/Berlin`. */
  @IsOptional() @IsString() @MaxLength(64) timezone?: string | null;
  @IsOptional() @IsString() @MaxLength(1000) bio?: string | null;
}

/** `user.register` (anonymous). Answers `UserView`; `conflict USER.EMAIL_TAKEN` when the email exists (any case). */
export class RegisterUserData {
  @IsEmail() @MaxLength(255) email!: string;
  @IsString() @MinLength(PASSWORD_MIN_LENGTH) @MaxLength(PASSWORD_MAX_LENGTH) password!: string;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => UserProfileData) profile?: UserProfileData;
}

/**
 * `user.authenticate` (anonymous). Answers `UserView` and records `user.login` with `sessionId`;
 * `unauthorized USER.INVALID_CREDENTIALS` for an unknown email or a wrong password alike.
 */
export class AuthenticateData {
  @IsString() @IsNotEmpty() @MaxLength(255) email!: string;
  @IsString() @IsNotEmpty() @MaxLength(PASSWORD_MAX_LENGTH) password!: string;
  /** The session the gateway is about to issue; carried by the `user.login` event. */
  @IsString() @IsNotEmpty() @MaxLength(128) sessionId!: string;
}

/** `user.record_logout` (the user themself or an admin). Answers `{ ok: true }`. */
export class RecordLogoutData {
  @IsUUID() userId!: string;
  @IsString() @IsNotEmpty() @MaxLength(128) sessionId!: string;
}

/** `user.get_by_id` (any authenticated actor). Answers `UserView`; `not_found USER.NOT_FOUND`. */
export class GetUserByIdData {
  @IsUUID() id!: string;
}

/** `user.get_many_by_ids` (any authenticated actor). Answers `UserView[]` of the ids that exist, in no set order. */
export class GetUsersByIdsData {
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(USER_PAGE_MAX) @IsUUID('all', { each: true }) ids!: string[];
}

/** `user.update_profile` (own profile; an admin any). Merges `profile` into the stored one. Answers `UserView`. */
export class UpdateProfileData {
  @IsUUID() userId!: string;
  @IsObject() @ValidateNested() @Type(() => UserProfileData) profile!: UserProfileData;
}

/** `user.change_role` (admin only, else `forbidden USER.FORBIDDEN`). Answers `UserView`. */
export class ChangeRoleData {
  @IsUUID() userId!: string;
  @IsIn(USER_ROLES) role!: UserRole;
}

/** `user.list` (admin only). Answers `UserPage`, newest first. */
export class ListUsersQuery {
  /** 1-based. */
  @IsOptional() @IsInt() @Min(1) page?: number;
  @IsOptional() @IsInt() @Min(1) @Max(USER_PAGE_MAX) limit?: number;
  /** Case-insensitive substring of the email, first name or last name. */
  @IsOptional() @IsString() @MaxLength(100) search?: string;
  @IsOptional() @IsIn(USER_ROLES) role?: UserRole;
}

/** What the service answers about a user. Never carries the password hash. */
export interface UserView {
  id: string;
  email: string;
  role: UserRole;
  profile: UserProfileData;
  /** ISO-8601, UTC. */
  createdAt: string;
  /** ISO-8601, UTC. */
  updatedAt: string;
}

export interface UserPage {
  items: UserView[];
  total: number;
  page: number;
  limit: number;
}
