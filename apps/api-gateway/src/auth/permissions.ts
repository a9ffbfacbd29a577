import { Injectable } from '@nestjs/common';
import { CacheKeys, CacheStore, CacheTtl } from '@taskflow/cache';
import { RpcContext, UserRpc, UserRole } from '@taskflow/contracts';
import { ServiceClients } from '../infrastructure/service-clients';
import { AuthUser } from './auth.decorators';

const OWN_WORK = ['task:create', 'task:read', 'task:update', 'task:delete', 'profile:read', 'profile:update'];

/** What each role may do. Routes name the permission they need (`@RequirePermission`), never a role. */
export const ROLE_PERMISSIONS: Record<UserRole, readonly string[]> = {
  user: OWN_WORK,
  auditor: [...OWN_WORK, 'audit:read'],
  admin: [...OWN_WORK, 'audit:read', 'audit:admin', 'user:list', 'user:change-role'],
};

/** The value of `user:permissions:{userId}` (seed 001): the permission list, plus the role it comes from. */
export interface Permissions {
  role: UserRole;
  permissions: readonly string[];
}

export function permissionsOf(role: UserRole): Permissions {
  return { role, permissions: ROLE_PERMISSIONS[role] };
}

/**
 * A user's current role and permissions, read through `user:permissions:{userId}` (600 s) from
 * user-service. Writers (login, refresh, role change) store the fresh value; a read-through stores
 * with SET NX, so a slow read that raced a role change never puts the old role back.
 */
@Injectable()
export class PermissionsStore {
  constructor(
    private readonly cache: CacheStore,
    private readonly clients: ServiceClients,
  ) {}

  /**
   * `prefetched`: the raw key value the guard read with the session (null when absent). When
   * user-service cannot answer a miss, the session's role (`user.role`) is the last one known.
   * `context` is built only for that miss.
   */
  async resolve(user: AuthUser, prefetched: string | null, context: () => RpcContext): Promise<Permissions> {
    try {
      const { value } = await this.cache.readThrough(
        CacheKeys.userPermissions(user.id),
        CacheTtl.userPermissions,
        async () => {
          const fresh = await this.clients.users.call(UserRpc.getById, { id: user.id }, context());
          return permissionsOf(fresh.role);
        },
        { prefetched, onlyIfAbsent: true },
      );
      return value;
    } catch {
      return permissionsOf(user.role);
    }
  }

  /** After a login, a refresh or a role change: the role just read from user-service. */
  store(userId: string, role: UserRole): Promise<void> {
    return this.cache.set(CacheKeys.userPermissions(userId), permissionsOf(role), CacheTtl.userPermissions);
  }
}
