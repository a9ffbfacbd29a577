import { bucketStart } from './time-bucket';

describe('bucketStart', () => {
  const at = new Date('2026-11-19T13:45:12.345Z'); // a Thursday

  it('should truncate to the UTC hour and day', () => {
    expect(bucketStart(at, 'hour').toISOString()).toBe('2026-11-19T13:00:00.000Z');
    expect(bucketStart(at, 'day').toISOString()).toBe('2026-11-19T00:00:00.000Z');
  });

  it('should start weeks on Monday 00:00 UTC', () => {
    expect(bucketStart(at, 'week').toISOString()).toBe('2026-11-16T00:00:00.000Z');
    expect(bucketStart(new Date('2026-11-16T00:00:00Z'), 'week').toISOString()).toBe('2026-11-16T00:00:00.000Z');
    expect(bucketStart(new Date('2026-11-15T23:59:59Z'), 'week').toISOString()).toBe('2026-11-09T00:00:00.000Z');
  });

  it('should handle instants before the week origin', () => {
    expect(bucketStart(new Date('1970-01-01T12:00:00Z'), 'week').toISOString()).toBe('1969-12-29T00:00:00.000Z');
  });
});
