import { cacheStatus, etagOf, ifMatchVersions, noneMatch, versionOf } from './http-caching';

describe('ETag logic', () => {
  it('should round-trip a version through a strong ETag', () => {
    expect(etagOf(7)).toBe('"v7"');
    expect(versionOf(etagOf(7))).toBe(7);
    expect(versionOf('W/"v7"')).toBeUndefined();
    expect(versionOf('"7"')).toBeUndefined();
  });

  it('should match If-None-Match weakly, in lists and with *', () => {
    expect(noneMatch('"v3"', 3)).toBe(true);
    expect(noneMatch('W/"v3"', 3)).toBe(true);
    expect(noneMatch('"v1", "v3"', 3)).toBe(true);
    expect(noneMatch('*', 3)).toBe(true);
    expect(noneMatch('"v2"', 3)).toBe(false);
    expect(noneMatch(undefined, 3)).toBe(false);
  });

  it('should read If-Match into the listed versions, any, or none that can match', () => {
    expect(ifMatchVersions(undefined)).toBeUndefined();
    expect(ifMatchVersions('"v4"')).toEqual([4]);
    expect(ifMatchVersions(' * ')).toBe('any');
    expect(ifMatchVersions('"v1", "v3"')).toEqual([1, 3]);
    expect(ifMatchVersions('"v1","v3" , ,"v1"')).toEqual([1, 3]);
    expect(ifMatchVersions('W/"v4", "v5"')).toEqual([5]); // a weak tag never matches (strong comparison)
    expect(ifMatchVersions('W/"v4"')).toEqual([]);
    expect(ifMatchVersions('"abc", "v99999999999999999999"')).toEqual([]);
  });

  it('should refuse an If-Match that is not * or a list of entity-tags with 400 naming the header', () => {
    for (const header of ['garbage', 'v1', '"v1', '"v1" "v2"', '"v1", garbage', '*, "v1"', '', '"v 1"', 'w/"v1"']) {
      expect(() => ifMatchVersions(header)).toThrow(
        expect.objectContaining({
          kind: 'validation',
          code: 'REQUEST.VALIDATION_FAILED',
          fieldErrors: [expect.objectContaining({ field: 'If-Match' })],
        }),
      );
    }
  });

  it('should describe cache results in RFC 9211 syntax', () => {
    expect(cacheStatus('hit')).toBe('taskflow-gateway; hit');
    expect(cacheStatus('miss')).toBe('taskflow-gateway; fwd=miss; stored');
    expect(cacheStatus('bypass')).toBe('taskflow-gateway; fwd=bypass');
  });
});
