import { ALL_EVENT_TYPES } from '@taskflow/contracts';
import { DEFAULT_RETENTION_RULES, mergeRetentionRules, RetentionPolicy } from './retention-policy';

const DAY = 86_400_000;

describe('RetentionPolicy', () => {
  const policy = RetentionPolicy.from(DEFAULT_RETENTION_RULES, ALL_EVENT_TYPES);

  it.each([
    ['user.login', 365],
    ['user.logout', 365],
    ['user.registered', 2555],
    ['user.role_changed', 2555],
    ['user.profile_updated', 2555],
    ['task.created', 180],
    ['task.restored', 180],
    ['system.backup.completed', 90],
    ['system.maintenance.started', 90],
    ['audit.read', 2555],
    ['audit.retention.changed', 2555],
  ])('should keep %s for %i days by default', (type, days) => {
    expect(policy.daysFor(type)).toBe(days);
    const from = new Date('2026-01-01T00:00:00Z');
    expect(policy.expiresAt(type, from).getTime() - from.getTime()).toBe(days * DAY);
  });

  it('should prefer an exact type over the longest prefix over a shorter prefix', () => {
    const rules = mergeRetentionRules(DEFAULT_RETENTION_RULES, '{"system.backup.*": 30, "system.backup.completed": 7}');
    const custom = RetentionPolicy.from(rules, ALL_EVENT_TYPES);
    expect(custom.daysFor('system.backup.completed')).toBe(7);
    expect(custom.daysFor('system.backup.started')).toBe(30);
    expect(custom.daysFor('system.maintenance.started')).toBe(90);
  });

  it('should reject rules that match nothing, bad day counts and uncovered types', () => {
    expect(() => RetentionPolicy.from({ ...DEFAULT_RETENTION_RULES, 'billing.*': 5 }, ALL_EVENT_TYPES)).toThrow(
      'billing.* matches no event type',
    );
    expect(() => RetentionPolicy.from({ ...DEFAULT_RETENTION_RULES, 'task.*': 0 }, ALL_EVENT_TYPES)).toThrow(
      'positive whole number',
    );
    expect(() => RetentionPolicy.from({ 'task.*': 10 }, ALL_EVENT_TYPES)).toThrow(
      'no retention rule covers user.login',
    );
  });

  it('should reject an override that is not a JSON object', () => {
    expect(() => mergeRetentionRules(DEFAULT_RETENTION_RULES, '[1]')).toThrow('JSON object');
    expect(() => mergeRetentionRules(DEFAULT_RETENTION_RULES, '{nope')).toThrow();
  });
});
