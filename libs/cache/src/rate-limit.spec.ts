import { decide, RateLimitRule, rateLimitHeaders } from './rate-limit';

const user: RateLimitRule = { scope: 'user', key: 'u', limit: 5, windowSeconds: 60 };
const ip: RateLimitRule = { scope: 'ip', key: 'i', limit: 100, windowSeconds: 3600 };

describe('rate-limit math', () => {
  it('should allow up to and including the limit', () => {
    expect(decide([user], [{ count: 5, ttl: 40 }])).toMatchObject({ allowed: true, remaining: 0 });
    expect(decide([user], [{ count: 6, ttl: 40 }])).toMatchObject({ allowed: false, remaining: 0, resetSeconds: 40 });
  });

  it('should report the tightest rule when all pass', () => {
    const decision = decide(
      [user, ip],
      [
        { count: 4, ttl: 30 },
        { count: 10, ttl: 3000 },
      ],
    );
    expect(decision).toMatchObject({ allowed: true, scope: 'user', remaining: 1 });
  });

  it('should reject with the rule that is over, waiting for the longest exhausted window', () => {
    const decision = decide(
      [user, ip],
      [
        { count: 1, ttl: 30 },
        { count: 101, ttl: 3000 },
      ],
    );
    expect(decision).toMatchObject({ allowed: false, scope: 'ip', resetSeconds: 3000 });
  });

  it('should never report a reset below one second', () => {
    expect(decide([user], [{ count: 9, ttl: 0 }]).resetSeconds).toBe(1);
  });

  it('should produce RateLimit-* headers and Retry-After only on rejection', () => {
    const ok = rateLimitHeaders(decide([user], [{ count: 2, ttl: 50 }]));
    expect(ok).toEqual({
      'RateLimit-Limit': '5',
      'RateLimit-Remaining': '3',
      'RateLimit-Reset': '50',
      'RateLimit-Policy': '5;w=60',
    });
    expect(rateLimitHeaders(decide([user], [{ count: 6, ttl: 50 }]))['Retry-After']).toBe('50');
  });
});
