import { Injectable } from '@nestjs/common';
import { CacheKeys, CacheResult, CacheStore, CacheTtl, hashOf } from '@taskflow/cache';
import { RpcContext, UserPage, UserRpc, UserRole, UserView } from '@taskflow/contracts';
import { PermissionsStore } from '../auth/permissions';
import { ServiceClients } from '../infrastructure/service-clients';
import { ListUsersQueryDto, ProfileDto } from './users.dto';

/**
 * The admin user list/search is cached as `api:response:{endpointHash}:{paramsHash}`: the same
 * answer for every admin (the route needs `user:list`), dropped on every user write made through
 * the gateway (register, profile, role); anything changed behind the gateway shows within 300 s.
 */
export const USER_LIST_ENDPOINT = hashOf('GET /api/v1/users');

/** User operations through user-service, with the profile read through `user:profile:{userId}`. */
@Injectable()
export class UsersService {
  constructor(
    private readonly clients: ServiceClients,
    private readonly cache: CacheStore,
    private readonly permissions: PermissionsStore,
  ) {}

  /** Only ever the caller's own profile (or an admin's read), so the per-user key needs no re-check. */
  profile(userId: string, context: RpcContext): Promise<{ value: UserView; cache: CacheResult }> {
    return this.cache.readThrough(CacheKeys.userProfile(userId), CacheTtl.userProfile, () =>
      this.clients.users.call(UserRpc.getById, { id: userId }, context),
    );
  }

  async updateProfile(userId: string, profile: ProfileDto, context: RpcContext): Promise<UserView> {
    const user = await this.clients.users.call(UserRpc.updateProfile, { userId, profile }, context);
    await Promise.all([this.cache.invalidateUser(userId), this.listChanged()]);
    return user;
  }

  list(query: ListUsersQueryDto, context: RpcContext): Promise<{ value: UserPage; cache: CacheResult }> {
    return this.cache.readThrough(
      CacheKeys.apiResponse(USER_LIST_ENDPOINT, hashOf({ ...query })),
      CacheTtl.apiResponse,
      () => this.clients.users.call(UserRpc.list, { ...query }, context),
      { index: () => ({ endpoint: USER_LIST_ENDPOINT }) },
    );
  }

  /** The new role applies from the target's next request: `user:permissions` is overwritten now. */
  async changeRole(userId: string, role: UserRole, context: RpcContext): Promise<UserView> {
    const user = await this.clients.users.call(UserRpc.changeRole, { userId, role }, context);
    await Promise.all([
      this.cache.invalidateUser(userId),
      this.permissions.store(userId, user.role),
      this.listChanged(),
    ]);
    return user;
  }

  /** A user was added or changed through the gateway: cached user lists are dropped. */
  async listChanged(): Promise<void> {
    await this.cache.invalidateEndpoint(USER_LIST_ENDPOINT);
  }
}
