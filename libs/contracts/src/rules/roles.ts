/**
 * Roles and what each may do, the one home of the rule. Routes and use cases name the permission they need
 * (`hasPermission`), never a role. Seed 001's roles plus `auditor`, who may read the audit log and nothing more;
 * PostgreSQL's `user_role` enum (user-service migration 1767225600000) holds the same three values.
 */
export const USER_ROLES = ['user', 'admin', 'auditor'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/**
 * Every permission any route or use case checks, each once, with what it allows (a type only: a permission that is
 * not listed here does not compile).
 */
interface PermissionCatalog {
  /** Create a task (the caller becomes its creator). */
  'task:create': true;
  /** Read the tasks one created or is assigned to. */
  'task:read': true;
  /** Change the tasks one created or is assigned to. */
  'task:update': true;
  /** Delete and restore the tasks one created or is assigned to. */
  'task:delete': true;
  /** See and change every task, not only one's own, and read anyone's task statistics. */
  'task:all': true;
  /** Read one's own profile. */
  'profile:read': true;
  /** Change one's own profile. */
  'profile:update': true;
  /** Read the audit log: events, histories, trails, stats, export, verification (audit API `access: 'read'`). */
  'audit:read': true;
  /** Administer the audit store (`admin/` routes): retention, maintenance, legal holds, dead letters, replay. */
  'audit:admin': true;
  /** List and search every user. */
  'user:list': true;
  /** Change another user's role (never one's own). */
  'user:change-role': true;
  /** Change any user's profile and record any user's logout (everyone may do both for themself). */
  'user:manage': true;
}
export type Permission = keyof PermissionCatalog;

const OWN_WORK: readonly Permission[] = [
  'task:create',
  'task:read',
  'task:update',
  'task:delete',
  'profile:read',
  'profile:update',
];

/**
 * What each role may do: the permission list the gateway caches as `user:permissions:{userId}` (libs/cache
 * `permissionsOf`) and every check (`hasPermission`) reads.
 */
export const ROLE_PERMISSIONS: Readonly<Record<UserRole, readonly Permission[]>> = {
  user: OWN_WORK,
  auditor: [...OWN_WORK, 'audit:read'],
  admin: [...OWN_WORK, 'audit:read', 'audit:admin', 'task:all', 'user:list', 'user:change-role', 'user:manage'],
};

/** Whether `value` is one of USER_ROLES (a role read from a token, a cache entry or a row). */
export function isUserRole(value: unknown): value is UserRole {
  return (USER_ROLES as readonly unknown[]).includes(value);
}

/**
 * Whether `role` grants `permission` (ROLE_PERMISSIONS). `role` is a string, not only a UserRole, because it often
 * comes from outside (a credential, a cache entry): a role that is not one of USER_ROLES has no permission.
 */
export function hasPermission(role: string, permission: Permission): boolean {
  return isUserRole(role) && ROLE_PERMISSIONS[role].includes(permission);
}
