import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsObject, IsOptional, IsUUID, ValidateNested } from 'class-validator';
import { decimalIntIn, defineField, HasVisibleCharacter, text } from '../fields/rules';
import { answerOf, defineRpc } from './define-rpc';
import { PASSWORD_MAX_LENGTH, UserFields } from '../fields/user.fields';
import type { UserRole } from '../rules/roles';

/**
 * Request/response shapes of the `UserRpc` operations (user-service). Each request is an
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
  /** Kind `rate_limited`: too many `user.authenticate` attempts for the email or from the caller. */
  authenticateThrottled: 'USER.AUTHENTICATE_THROTTLED',
} as const;

/** Largest page of `user.list`. */
export const USER_PAGE_MAX = 100;

/** Login takes any stored text: a format check would tell which emails can exist. */
export const CREDENTIAL_EMAIL = defineField(false, text({ min: 1, max: 255 }));
export const CREDENTIAL_PASSWORD = defineField(false, text({ min: 1, max: PASSWORD_MAX_LENGTH }));
const SESSION_ID = defineField(false, text({ min: 1, max: 128 }));
/** `user.list` paging and search, shared with the gateway's query class. `?search=` is a 400, not "no filter". */
export const USER_PAGE = defineField(false, decimalIntIn({ min: 1, max: 1_000_000 }));
export const USER_PAGE_LIMIT = defineField(false, decimalIntIn({ min: 1, max: USER_PAGE_MAX }));
export const USER_SEARCH = defineField(false, text({ min: 1, max: 100 }), HasVisibleCharacter);

/** The profile stored in `users.profile` (JSONB). Every field optional; `null` in an update removes it. */
export class UserProfileData {
  @UserFields.firstName.optional() firstName?: string | null;
  @UserFields.lastName.optional() lastName?: string | null;
  @UserFields.avatarUrl.optional() avatarUrl?: string | null;
  @UserFields.timezone.optional() timezone?: string | null;
  @UserFields.bio.optional() bio?: string | null;
}

/** `user.register` (anonymous). Answers `UserView`; `conflict USER.EMAIL_TAKEN` when the email exists (any case). */
export class RegisterUserData {
  @UserFields.email.required() email!: string;
  @UserFields.password.required() password!: string;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => UserProfileData) profile?: UserProfileData;
}

/**
 * `user.authenticate` (anonymous). Answers `UserView` and records `user.login` with `sessionId`;
 * `unauthorized USER.INVALID_CREDENTIALS` for an unknown email or a wrong password alike.
 */
export class AuthenticateData {
  @CREDENTIAL_EMAIL.required() email!: string;
  @CREDENTIAL_PASSWORD.required() password!: string;
  /** The session the gateway is about to issue; carried by the `user.login` event. */
  @SESSION_ID.required() sessionId!: string;
}

/** `user.record_logout` (the user themself or an admin). Answers `{ ok: true }`. */
export class RecordLogoutData {
  @UserFields.id.required() userId!: string;
  @SESSION_ID.required() sessionId!: string;
}

/** `user.get_by_id` (any authenticated actor). Answers `UserView`; `not_found USER.NOT_FOUND`. */
export class GetUserByIdData {
  @UserFields.id.required() id!: string;
}

/** `user.get_many_by_ids` (any authenticated actor). Answers `UserView[]` of the ids that exist, in no set order. */
export class GetUsersByIdsData {
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(USER_PAGE_MAX) @IsUUID('all', { each: true }) ids!: string[];
}

/** `user.update_profile` (own profile; an admin any). Merges `profile` into the stored one. Answers `UserView`. */
export class UpdateProfileData {
  @UserFields.id.required() userId!: string;
  @IsObject() @ValidateNested() @Type(() => UserProfileData) profile!: UserProfileData;
}

/** `user.change_role` (admin only, else `forbidden USER.FORBIDDEN`). Answers `UserView`. */
export class ChangeRoleData {
  @UserFields.id.required() userId!: string;
  @UserFields.role.required() role!: UserRole;
}

/** `user.list` (admin only). Answers `UserPage`, newest first. */
export class ListUsersQuery {
  /** 1-based. */
  @USER_PAGE.optional() page?: number;
  @USER_PAGE_LIMIT.optional() limit?: number;
  /** Case-insensitive substring of the email, first name or last name. */
  @USER_SEARCH.optional() search?: string;
  @UserFields.role.optional() role?: UserRole;
}

/** What the service answers about a user, and the OpenAPI schema of the gateway's user answers. Never the password hash. */
export class UserView {
  @UserFields.id.required() id!: string;
  @UserFields.email.required() email!: string;
  @UserFields.role.required() role!: UserRole;
  @ApiProperty({ type: () => UserProfileData }) profile!: UserProfileData;
  @UserFields.createdAt.required() createdAt!: string;
  @UserFields.updatedAt.required() updatedAt!: string;
}

/** One page of `user.list`, newest first; `total` counts every match. */
export class UserPage {
  @ApiProperty({ type: [UserView] }) items!: UserView[];
  @ApiProperty({ type: 'integer', minimum: 0 }) total!: number;
  @ApiProperty({ type: 'integer', minimum: 1 }) page!: number;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: USER_PAGE_MAX }) limit!: number;
}

/** Every user-service operation: pattern, request class, answer type (the only list of them). */
export const UserRpc = {
  register: defineRpc({ pattern: 'user.register', request: RegisterUserData, answer: answerOf<UserView>() }),
  authenticate: defineRpc({ pattern: 'user.authenticate', request: AuthenticateData, answer: answerOf<UserView>() }),
  recordLogout: defineRpc({
    pattern: 'user.record_logout',
    request: RecordLogoutData,
    answer: answerOf<{ ok: true }>(),
  }),
  getById: defineRpc({ pattern: 'user.get_by_id', request: GetUserByIdData, answer: answerOf<UserView>() }),
  getManyByIds: defineRpc({
    pattern: 'user.get_many_by_ids',
    request: GetUsersByIdsData,
    answer: answerOf<UserView[]>(),
  }),
  updateProfile: defineRpc({
    pattern: 'user.update_profile',
    request: UpdateProfileData,
    answer: answerOf<UserView>(),
  }),
  changeRole: defineRpc({ pattern: 'user.change_role', request: ChangeRoleData, answer: answerOf<UserView>() }),
  list: defineRpc({ pattern: 'user.list', request: ListUsersQuery, answer: answerOf<UserPage>() }),
} as const;
