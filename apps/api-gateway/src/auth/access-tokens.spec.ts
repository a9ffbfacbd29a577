import jwt from 'jsonwebtoken';
import { AccessTokens } from './access-tokens';

const SECRET = 'unit-secret-unit-secret-unit-secret-123';
const claims = { sub: 'user-1', role: 'user' as const, sid: 'session-1' };

describe('AccessTokens', () => {
  afterEach(() => jest.useRealTimers());

  it('should accept a token it signed, again and again', () => {
    const tokens = new AccessTokens(SECRET, 60);
    const token = tokens.sign(claims);
    expect(tokens.verify(token)).toEqual(claims);
    expect(tokens.verify(token)).toEqual(claims);
  });

  it('should reject a remembered token once it expires', () => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    const tokens = new AccessTokens(SECRET, 60);
    const token = tokens.sign(claims);
    expect(tokens.verify(token)).toEqual(claims);
    jest.setSystemTime(new Date('2026-01-01T00:00:59Z'));
    expect(tokens.verify(token)).toEqual(claims);
    jest.setSystemTime(new Date('2026-01-01T00:01:00Z'));
    expect(tokens.verify(token)).toBeUndefined();
  });

  it('should never remember a token that failed: a tampered or foreign one stays rejected', () => {
    const tokens = new AccessTokens(SECRET, 60);
    const good = tokens.sign(claims);
    const [header, payload] = good.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, role: 'admin', exp: 4_000_000_000 })).toString(
      'base64url',
    );
    const forged = `${header}.${forgedPayload}.${good.split('.')[2]}`;
    const foreign = jwt.sign(claims, 'another-secret-another-secret-another!', { expiresIn: 60 });
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    for (const token of [forged, foreign, none]) {
      expect(tokens.verify(token)).toBeUndefined();
      expect(tokens.verify(token)).toBeUndefined();
    }
  });

  it('should reject a correctly signed token without an expiry', () => {
    const tokens = new AccessTokens(SECRET, 60);
    expect(tokens.verify(jwt.sign(claims, SECRET, { algorithm: 'HS256' }))).toBeUndefined();
  });
});
