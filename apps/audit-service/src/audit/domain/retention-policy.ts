/**
 * Per-class retention (seed 001 "Data Retention Strategy"). A rule key is an exact event type
 * (`user.login`) or a prefix wildcard (`task.*`); the exact type wins, then the longest prefix.
 */
export type RetentionRules = Record<string, number>;

export const DEFAULT_RETENTION_RULES: RetentionRules = {
  'user.login': 365,
  'user.logout': 365,
  // Audit-class events: 7 years (legal requirement).
  'user.registered': 2555,
  'user.role_changed': 2555,
  'user.profile_updated': 2555,
  'task.*': 180,
  'system.*': 90,
  // audit-service's own acts (reads, legal holds, retention changes, dead-letter actions, replays): audit logs, 7 years like the legal class.
  'audit.*': 2555,
};

const DAY_MS = 86_400_000;

export class RetentionPolicy {
  private readonly daysByType: ReadonlyMap<string, number>;

  private constructor(
    readonly rules: RetentionRules,
    daysByType: Map<string, number>,
  ) {
    this.daysByType = daysByType;
  }

  /** Resolves every known type against the rules; throws if a rule is malformed or a type has no rule. */
  static from(rules: RetentionRules, knownTypes: readonly string[]): RetentionPolicy {
    const problems = validateRules(rules, knownTypes);
    const daysByType = new Map<string, number>();
    for (const type of knownTypes) {
      const days = resolve(rules, type);
      if (days === undefined) problems.push(`no retention rule covers ${type}`);
      else daysByType.set(type, days);
    }
    if (problems.length > 0) throw new Error(problems.join('; '));
    return new RetentionPolicy(rules, daysByType);
  }

  daysFor(type: string): number {
    const days = this.daysByType.get(type);
    if (days === undefined) throw new Error(`no retention rule for ${type}`);
    return days;
  }

  expiresAt(type: string, from: Date): Date {
    return new Date(from.getTime() + this.daysFor(type) * DAY_MS);
  }

  /** Types grouped by retention days, e.g. for re-stamping existing records. */
  entries(): [type: string, days: number][] {
    return [...this.daysByType.entries()];
  }
}

function resolve(rules: RetentionRules, type: string): number | undefined {
  if (rules[type] !== undefined) return rules[type];
  const prefixes = Object.keys(rules)
    .filter((key) => key.endsWith('.*') && type.startsWith(key.slice(0, -1)))
    .sort((a, b) => b.length - a.length);
  return prefixes.length > 0 ? rules[prefixes[0]] : undefined;
}

function validateRules(rules: RetentionRules, knownTypes: readonly string[]): string[] {
  const problems: string[] = [];
  for (const [key, days] of Object.entries(rules)) {
    const matchesSomething = key.endsWith('.*')
      ? knownTypes.some((type) => type.startsWith(key.slice(0, -1)))
      : knownTypes.includes(key);
    if (!matchesSomething) problems.push(`${key} matches no event type`);
    if (!Number.isInteger(days) || days < 1) problems.push(`${key} must be a positive whole number of days`);
  }
  return problems;
}

/** Parses an override (AUDIT_RETENTION_JSON) on top of the defaults; a key's rule replaces the default. */
export function mergeRetentionRules(base: RetentionRules, json: string | undefined): RetentionRules {
  if (json === undefined || json.trim() === '') return { ...base };
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('must be a JSON object of {"type or prefix.*": days}');
  }
  return { ...base, ...(parsed as RetentionRules) };
}
