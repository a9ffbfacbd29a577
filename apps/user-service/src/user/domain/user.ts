import { hasPermission, UserRole } from '@taskflow/contracts';

/** Free-form profile kept as JSONB; known fields are validated at the RPC edge. */
export type Profile = Record<string, unknown>;

export interface User {
  id: string;
  email: string;
  passwordHash: string;
  role: UserRole;
  profile: Profile;
  createdAt: Date;
  updatedAt: Date;
}

/** Emails are unique regardless of case; we store and compare them trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Applies a partial profile update: `null` removes a field, `undefined` leaves it as is. Returns the changed keys. */
export function mergeProfile(
  current: Profile,
  patch: Record<string, unknown>,
): { profile: Profile; changed: string[] } {
  const profile: Profile = { ...current };
  const changed: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) {
      if (key in profile) {
        delete profile[key];
        changed.push(key);
      }
    } else if (JSON.stringify(profile[key]) !== JSON.stringify(value)) {
      profile[key] = value;
      changed.push(key);
    }
  }
  return { profile, changed: changed.sort() };
}

/** A user may change their own record (profile, logout); a role with `user:manage` (libs/contracts roles) any. */
export function canEditProfile(actor: { id: string; role: UserRole }, userId: string): boolean {
  return actor.id === userId || hasPermission(actor.role, 'user:manage');
}
