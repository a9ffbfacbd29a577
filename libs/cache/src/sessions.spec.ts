import { decideSession, permissionsOf, Session } from './sessions';

const claims = { userId: '6f1c1f7e-6a53-4d4b-9f0e-1d2c3b4a5f60', sessionId: 'b3a1c2d4-0000-4000-8000-000000000001' };
const session = (overrides: Partial<Session> = {}) =>
  JSON.stringify({
    userId: claims.userId,
    role: 'auditor',
    createdAt: '2026-11-29T00:00:00.000Z',
    expiresAt: '2026-11-29T01:00:00.000Z',
    refreshHash: 'h',
    ...overrides,
  } satisfies Session);

describe('decideSession (the gateway and audit-service rule)', () => {
  it('is unavailable when the store did not answer', () => {
    expect(decideSession(claims, undefined)).toEqual({ outcome: 'unavailable' });
  });

  it('ends a token without a session, with a session of another user, or with an unreadable one', () => {
    expect(decideSession(claims, null)).toEqual({ outcome: 'ended' });
    expect(decideSession(claims, session({ userId: 'someone-else' }))).toEqual({ outcome: 'ended' });
    expect(decideSession(claims, '{not json')).toEqual({ outcome: 'ended' });
    expect(decideSession(claims, session({ role: 'root' as never }))).toEqual({ outcome: 'ended' });
  });

  it("takes the current role from user:permissions when present, else the session's", () => {
    expect(decideSession(claims, session())).toEqual({ outcome: 'live', role: 'auditor' });
    expect(decideSession(claims, session(), null)).toEqual({ outcome: 'live', role: 'auditor' });
    expect(decideSession(claims, session(), JSON.stringify(permissionsOf('user')))).toEqual({
      outcome: 'live',
      role: 'user',
    });
    // A value that is not a permissions entry never grants anything beyond the session's role.
    expect(decideSession(claims, session(), JSON.stringify({ role: 'superuser' }))).toEqual({
      outcome: 'live',
      role: 'auditor',
    });
  });
});
