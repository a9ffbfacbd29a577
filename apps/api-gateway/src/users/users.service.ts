import { Injectable } from '@nestjs/common';
import { CacheKeys, CacheResult, CacheStore, CacheTtl } from '@taskflow/cache';
import { RpcContext, UserPage, UserPatterns, UserView } from '@taskflow/contracts';
import { ServiceClients } from '../infrastructure/service-clients';
import { ListUsersQueryDto, ProfileDto } from './users.dto';

/** User operations through user-service, with the profile read through `user:profile:{userId}`. */
@Injectable()
export class UsersService {
  constructor(
    private readonly clients: ServiceClients,
    private readonly cache: CacheStore,
  ) {}

  /** Only ever the caller's own profile (or an admin's read), so the per-user key needs no re-check. */
  profile(userId: string, context: RpcContext): Promise<{ value: UserView; cache: CacheResult }> {
    return this.cache.readThrough(CacheKeys.userProfile(userId), CacheTtl.userProfile, () =>
      this.clients.users.send<UserView>(UserPatterns.getById, { id: userId }, context),
    );
  }

  async updateProfile(userId: string, profile: ProfileDto, context: RpcContext): Promise<UserView> {
    const user = await this.clients.users.send<UserView>(UserPatterns.updateProfile, { userId, profile }, context);
    await this.cache.invalidateUser(userId);
    return user;
  }

  list(query: ListUsersQueryDto, context: RpcContext): Promise<UserPage> {
    return this.clients.users.send<UserPage>(UserPatterns.list, { ...query }, context);
  }

  async changeRole(userId: string, role: string, context: RpcContext): Promise<UserView> {
    const user = await this.clients.users.send<UserView>(UserPatterns.changeRole, { userId, role }, context);
    await this.cache.invalidateUser(userId);
    return user;
  }
}
