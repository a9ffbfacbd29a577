import { cacheStatus, etagOf, ifMatchVersion, noneMatch, versionOf } from './http-caching';

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

  it('should read If-Match into a version, any, or unmatchable', () => {
    expect(ifMatchVersion(undefined)).toBeUndefined();
    expect(ifMatchVersion('"v4"')).toBe(4);
    expect(ifMatchVersion('*')).toBe('any');
    expect(ifMatchVersion('W/"v4"')).toBe('unmatchable');
    expect(ifMatchVersion('"v4", "v5"')).toBe('unmatchable');
    expect(ifMatchVersion('garbage')).toBe('unmatchable');
  });

  it('should describe cache results in RFC 9211 syntax', () => {
    expect(cacheStatus('hit')).toBe('taskflow-gateway; hit');
    expect(cacheStatus('miss')).toBe('taskflow-gateway; fwd=miss; stored');
    expect(cacheStatus('bypass')).toBe('taskflow-gateway; fwd=bypass');
  });
});
