/** The roles of seed 001 plus `auditor`, who may read the audit log (audit-service) and nothing more. */
export const USER_ROLES = ['user', 'admin', 'auditor'] as const;
export type Role = (typeof USER_ROLES)[number];

/** Free-form profile kept as JSONB; known fields are validated at the RPC edge. */
export type Profile = Record<string, unknown>;

export interface User {
  id: string;
  email: string;
  passwordHash: string;
  role: Role;
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

/** Who may do what to a user record. */
export function canEditProfile(actor: { id: string; role: Role }, userId: string): boolean {
  return actor.role === 'admin' || actor.id === userId;
}
