import { isUserRole, Permission, ROLE_PERMISSIONS, UserRole } from '@taskflow/contracts';
import type { Redis } from 'ioredis';
import { CacheKeys } from './keys';

/**
 * The value of `session:{sessionId}` (seed 001), plus the SHA-256 (hex) of the current refresh secret and of the
 * secrets already rotated away (newest first): only a presented secret that matches one of those proves a replay of a
 * token that was really issued. Written by the gateway (login, refresh), deleted at logout.
 */
export interface Session {
  userId: string;
  role: UserRole;
  createdAt: string;
  expiresAt: string;
  refreshHash: string;
  usedRefreshHashes?: string[];
}

/**
 * The value of `user:permissions:{userId}` (seed 001, 600 s): the permission list, plus the role it comes from. The
 * gateway writes it at login, refresh and role change, and reads it through from user-service on a miss. Checks
 * read only `role` (through the contract's `hasPermission`); the list is the role's, for a reader of the cache.
 */
export interface Permissions {
  role: UserRole;
  permissions: readonly Permission[];
}

/** The cache entry of `role`: its permissions in the contract's ROLE_PERMISSIONS (libs/contracts rules/roles.ts). */
export function permissionsOf(role: UserRole): Permissions {
  return { role, permissions: ROLE_PERMISSIONS[role] };
}

/** What a verified access token says about its session: its subject (`sub`) and session id (`sid`). */
export interface SessionClaims {
  userId: string;
  sessionId: string;
}

/**
 * The session check of every verifier of access tokens (the gateway's guard, audit-service's guard):
 * - `unavailable`: the session store did not answer (`rawSession` undefined); SESSION_FAILURE_MODE decides;
 * - `ended`: no session under the token's `sid` (logged out, expired, ended by a refresh replay), or a session of
 *   another user: the token is refused (401) whatever its signature and lifetime;
 * - `live`: the role is the current one: `user:permissions:{userId}` when present (a role change writes it at
 *   once), else the session's.
 * `rawSession`/`rawPermissions`: the keys' raw values, null when absent.
 */
export function decideSession(
  claims: SessionClaims,
  rawSession: string | null | undefined,
  rawPermissions?: string | null,
): SessionDecision {
  if (rawSession === undefined) return { outcome: 'unavailable' };
  const session = parse<Session>(rawSession);
  if (!session || session.userId !== claims.userId || !isUserRole(session.role)) return { outcome: 'ended' };
  const current = parse<Permissions>(rawPermissions ?? null)?.role;
  return { outcome: 'live', role: isUserRole(current) ? current : session.role };
}

/** What decideSession decides. */
export type SessionDecision = { outcome: 'unavailable' } | { outcome: 'ended' } | { outcome: 'live'; role: UserRole };

/**
 * Reads `session:{sid}` and `user:permissions:{sub}` in one MGET and decides with decideSession. A Redis error or a
 * client that is not connected is `unavailable`.
 */
export async function checkSession(redis: Redis, claims: SessionClaims): Promise<SessionDecision> {
  let keys: [string, string];
  try {
    keys = [CacheKeys.session(claims.sessionId), CacheKeys.userPermissions(claims.userId)];
  } catch {
    return { outcome: 'ended' }; // an id no session can have
  }
  if (redis.status !== 'ready') return { outcome: 'unavailable' };
  let values: (string | null)[];
  try {
    values = await redis.mget(...keys);
  } catch {
    return { outcome: 'unavailable' };
  }
  return decideSession(claims, values[0], values[1]);
}

function parse<T>(raw: string | null): T | undefined {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}
