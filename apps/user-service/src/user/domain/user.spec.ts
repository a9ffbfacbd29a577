import { canEditProfile, mergeProfile, normalizeEmail } from './user';

describe('user domain', () => {
  it('should normalise emails to trimmed lower case', () => {
    expect(normalizeEmail('  Ada@Example.COM ')).toBe('ada@example.com');
  });

  it('should merge a profile patch, removing null fields and reporting changed keys sorted', () => {
    const result = mergeProfile(
      { firstName: 'Ada', bio: 'x', lastName: 'L' },
      { lastName: 'Lovelace', bio: null, firstName: 'Ada' },
    );
    expect(result).toEqual({ profile: { firstName: 'Ada', lastName: 'Lovelace' }, changed: ['bio', 'lastName'] });
  });

  it('should report no change for an identical or empty patch', () => {
    expect(mergeProfile({ firstName: 'Ada' }, { firstName: 'Ada', lastName: undefined, bio: null }).changed).toEqual(
      [],
    );
  });

  it('should let users edit only their own profile, admins any', () => {
    expect(canEditProfile({ id: 'a', role: 'user' }, 'a')).toBe(true);
    expect(canEditProfile({ id: 'a', role: 'user' }, 'b')).toBe(false);
    expect(canEditProfile({ id: 'a', role: 'auditor' }, 'b')).toBe(false);
    expect(canEditProfile({ id: 'a', role: 'admin' }, 'b')).toBe(true);
  });
});
