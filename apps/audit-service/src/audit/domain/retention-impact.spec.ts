import { countChange, emptyImpact } from './retention-impact';

describe('retention impact', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const at = (iso: string) => new Date(iso);

  it('should count earlier, later, at-once expiry, unchanged and held records, and say which to write', () => {
    const impact = emptyImpact();
    expect(countChange(impact, at('2027-01-01T00:00:00Z'), at('2026-09-01T00:00:00Z'), false, now)).toBe(true);
    expect(countChange(impact, at('2027-01-01T00:00:00Z'), at('2026-01-01T00:00:00Z'), false, now)).toBe(true);
    expect(countChange(impact, at('2026-07-01T00:00:00Z'), at('2028-01-01T00:00:00Z'), false, now)).toBe(true);
    expect(countChange(impact, at('2026-07-01T00:00:00Z'), at('2026-07-01T00:00:00Z'), false, now)).toBe(false);
    expect(countChange(impact, at('2026-07-01T00:00:00Z'), at('2026-01-01T00:00:00Z'), true, now)).toBe(true);
    expect(impact).toEqual({ earlier: 2, later: 1, expireNow: 1, unchanged: 1, held: 1 });
  });
});
