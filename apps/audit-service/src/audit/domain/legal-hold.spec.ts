import { applyHolds, covers, LegalHold, parseScope } from './legal-hold';
import { EventLog } from './event-log';

const record = (over: Partial<EventLog> = {}): EventLog => ({
  eventId: '0190f5c0-0000-7000-8000-000000000001',
  type: 'task.created',
  schemaVersion: 1,
  actorId: 'actor-1',
  entityId: 'task-1',
  entityType: 'task',
  payload: {},
  metadata: { timestamp: new Date(0) },
  correlationId: 'corr-1',
  createdAt: new Date(0),
  updatedAt: new Date(0),
  expiresAt: new Date(1000),
  ...over,
});
const hold = (id: string, scope: LegalHold['scope']): LegalHold => ({
  id,
  scope,
  reason: 'case 42',
  placedBy: 'admin',
  placedAt: new Date(0),
});

describe('legal hold', () => {
  it('should accept exactly one scope and name the field otherwise', () => {
    expect(parseScope({ actorId: 'a' })).toEqual({ scope: { actorId: 'a' } });
    expect(parseScope({ correlationId: 'c' })).toEqual({ scope: { correlationId: 'c' } });
    expect(parseScope({ entityType: 'task', entityId: 't' })).toEqual({ scope: { entityType: 'task', entityId: 't' } });
    expect(parseScope({})).toEqual({ problems: [expect.objectContaining({ field: 'scope' })] });
    expect(parseScope({ actorId: 'a', correlationId: 'c' })).toEqual({
      problems: [expect.objectContaining({ field: 'scope', reason: expect.stringContaining('only one') })],
    });
    expect(parseScope({ entityId: 't' })).toEqual({
      problems: [{ field: 'entityType', reason: 'is required with entityId' }],
    });
    expect(parseScope({ entityType: 'task' })).toEqual({
      problems: [{ field: 'entityId', reason: 'is required with entityType' }],
    });
  });

  it('should match records by entity (type and id), actor or correlation id', () => {
    expect(covers({ entityType: 'task', entityId: 'task-1' }, record())).toBe(true);
    expect(covers({ entityType: 'user', entityId: 'task-1' }, record())).toBe(false);
    expect(covers({ actorId: 'actor-1' }, record())).toBe(true);
    expect(covers({ actorId: 'actor-2' }, record())).toBe(false);
    expect(covers({ correlationId: 'corr-1' }, record())).toBe(true);
    expect(covers({ correlationId: 'corr-1' }, record({ correlationId: undefined }))).toBe(false);
  });

  it('should set the deadline aside for every covering hold and leave other records alone', () => {
    const holds = [
      hold('h1', { actorId: 'actor-1' }),
      hold('h2', { correlationId: 'corr-1' }),
      hold('h3', { actorId: 'x' }),
    ];
    const held = applyHolds(record(), holds);
    expect(held).not.toHaveProperty('expiresAt');
    expect(held).toMatchObject({ legalHoldIds: ['h1', 'h2'], retentionExpiresAt: new Date(1000) });
    const free = record({ actorId: 'other', correlationId: 'other' });
    expect(applyHolds(free, holds)).toBe(free);
  });
});
