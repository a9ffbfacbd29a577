import { ENTITY_TYPES } from '../events/entity-types';
import {
  EventLogCursor,
  FILTER_KEYS,
  AUDIT_EXPORT_LIMIT_MAX,
  InvalidAuditQuery,
  PAGE_KEYS,
  parseBucket,
  parseEventFilter,
  parseExportLimit,
  parsePage,
} from './query';

const UUID = '0192f0c4-8f6e-7cc0-9a55-3b8c7f1a2b3c';

function problems(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidAuditQuery);
    return (error as InvalidAuditQuery).fieldErrors;
  }
  throw new Error('expected a validation error');
}

describe('parseEventFilter', () => {
  it('should accept one, many and prefix types', () => {
    expect(parseEventFilter({ type: 'task.created' })).toEqual({ types: ['task.created'] });
    expect(parseEventFilter({ type: ['user.login', 'user.logout'] })).toEqual({ types: ['user.login', 'user.logout'] });
    expect(parseEventFilter({ type: 'task.,system.backup.' })).toEqual({ typePrefixes: ['task.', 'system.backup.'] });
  });

  it('should read an upper-case UUID as the canonical (stored) lower-case id, other ids as given', () => {
    expect(parseEventFilter({ entityType: 'task', entityId: UUID.toUpperCase(), actorId: UUID.toUpperCase() })).toEqual(
      {
        entityType: 'task',
        entityId: UUID,
        actorId: UUID,
      },
    );
    expect(parseEventFilter({ actorId: 'system:create-admin', correlationId: 'Req-A' })).toEqual({
      actorId: 'system:create-admin',
      correlationId: 'Req-A',
    });
  });

  it('should parse entity, actor, correlation and range filters', () => {
    expect(
      parseEventFilter({
        entityType: 'task',
        entityId: UUID,
        actorId: 'system',
        correlationId: 'req-1',
        from: '2026-01-01T00:00:00Z',
        to: '2026-02-01T00:00:00Z',
      }),
    ).toEqual({
      entityType: 'task',
      entityId: UUID,
      actorId: 'system',
      correlationId: 'req-1',
      from: new Date('2026-01-01T00:00:00Z'),
      to: new Date('2026-02-01T00:00:00Z'),
    });
  });

  it('should read lower-case t and z (RFC 3339 §5.6) as the same instant', () => {
    expect(parseEventFilter({ from: '2026-01-01t00:00:00z', to: '2026-02-01t01:00:00+01:00' })).toEqual({
      from: new Date('2026-01-01T00:00:00Z'),
      to: new Date('2026-02-01T00:00:00Z'),
    });
  });

  it.each([
    [{ type: 'task.exploded' }, 'type', 'unknown event type task.exploded'],
    [{ type: 'billing.' }, 'type', 'unknown type prefix billing.'],
    [{ entityId: UUID }, 'entityType', 'is required with entityId'],
    [{ entityType: 'task', entityId: 'not-a-uuid' }, 'entityId', 'must be a UUID for entityType task'],
    [{ entityType: 'invoice' }, 'entityType', `must be one of ${ENTITY_TYPES.join(', ')}`],
    [{ actorId: 'a b' }, 'actorId', expect.stringContaining('malformed')],
    [{ from: 'yesterday' }, 'from', expect.stringMatching(/^must be an RFC 3339 date-time with an offset/)],
    [{ from: '2026-02-30T00:00:00Z' }, 'from', expect.stringMatching(/^must be an RFC 3339 date-time with an offset/)],
    [{ to: '2026-12-31T23:59:60Z' }, 'to', expect.stringMatching(/^must not be a leap second/)],
    [{ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'from', 'is after to'],
    [{ colour: 'red' }, 'colour', 'is not a known parameter'],
    [{ from: '' }, 'from', expect.stringMatching(/^must not be empty/)],
    [{ to: '' }, 'to', expect.stringMatching(/^must not be empty/)],
    [{ type: '' }, 'type', expect.stringMatching(/^must not be empty/)],
    [{ type: 'task.,' }, 'type', expect.stringMatching(/^must not be empty/)],
    [{ entityType: '' }, 'entityType', expect.stringMatching(/^must not be empty/)],
    [{ actorId: ['a', 'b'] }, 'actorId', 'must be given once'],
  ])('should reject %j', (query, field, reason) => {
    expect(problems(() => parseEventFilter(query))).toContainEqual({ field, reason });
  });
});

describe('parsePage', () => {
  it('should default, cap and validate the page size', () => {
    expect(parsePage({}).limit).toBe(50);
    expect(parsePage({ limit: '200' }).limit).toBe(200);
    expect(problems(() => parsePage({ limit: '201' }))).toContainEqual({ field: 'limit', reason: 'must be <= 200' });
    expect(problems(() => parsePage({ limit: '0' }))).toContainEqual({
      field: 'limit',
      reason: 'must be a positive integer',
    });
  });

  it('should round-trip a cursor and reject a forged one', () => {
    const cursor = { createdAt: new Date('2026-03-04T05:06:07.089Z'), eventId: UUID };
    expect(EventLogCursor.decode(EventLogCursor.encode(cursor))).toEqual(cursor);
    expect(parsePage({ cursor: EventLogCursor.encode(cursor) }).cursor).toEqual(cursor);
    expect(problems(() => parsePage({ cursor: 'garbage' }))).toContainEqual({
      field: 'cursor',
      reason: 'is malformed',
    });
  });

  it('should let list endpoints accept page keys', () => {
    expect(parseEventFilter({ limit: '5' }, [...FILTER_KEYS, ...PAGE_KEYS])).toEqual({});
  });
});

describe('parseExportLimit', () => {
  it('should leave the export whole without a limit and validate one', () => {
    expect(parseExportLimit({})).toBeUndefined();
    expect(parseExportLimit({ limit: '1000' })).toBe(1000);
    expect(parseExportLimit({ limit: String(AUDIT_EXPORT_LIMIT_MAX) })).toBe(AUDIT_EXPORT_LIMIT_MAX);
    expect(problems(() => parseExportLimit({ limit: String(AUDIT_EXPORT_LIMIT_MAX + 1) }))).toContainEqual({
      field: 'limit',
      reason: `must be <= ${AUDIT_EXPORT_LIMIT_MAX}`,
    });
    for (const limit of ['0', '-1', '1.5', 'ten', '1e3']) {
      expect(problems(() => parseExportLimit({ limit }))).toContainEqual({
        field: 'limit',
        reason: 'must be a positive integer',
      });
    }
    expect(problems(() => parseExportLimit({ limit: ['1', '2'] }))).toContainEqual({
      field: 'limit',
      reason: 'must be given once',
    });
  });
});

describe('parseBucket', () => {
  it('should accept hour, day and week only', () => {
    expect(parseBucket({ bucket: 'week' })).toBe('week');
    expect(parseBucket({})).toBe('day');
    expect(problems(() => parseBucket({ bucket: 'month' }))).toContainEqual({
      field: 'bucket',
      reason: 'must be one of hour, day, week',
    });
  });
});
