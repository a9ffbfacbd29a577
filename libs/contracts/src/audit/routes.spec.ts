import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ListDeadLettersQuery } from './operations';
import { InvalidAuditQuery } from './query';
import { AuditRoutes } from './routes';

const UUID = '0192f0c4-8f6e-7cc0-9a55-3b8c7f1a2b3c';

function problems(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidAuditQuery);
    return (error as InvalidAuditQuery).fieldErrors;
  }
  throw new Error('expected InvalidAuditQuery');
}

describe('AuditRoutes requests', () => {
  it('should document every query key a route accepts, and refuse the others with the filter problems', () => {
    for (const route of Object.values(AuditRoutes)) {
      const names = route.request.parameters.map((parameter) => parameter.name);
      expect(new Set(names).size).toBe(names.length);
    }
    expect(problems(() => AuditRoutes.countByType.request.parse({ limit: '5', type: 'task.nope' }))).toEqual([
      { field: 'limit', reason: 'is not a known parameter' },
      { field: 'type', reason: 'unknown event type task.nope' },
    ]);
    expect(problems(() => AuditRoutes.correlationTrail.request.parse({ x: '1' }, { correlationId: 'c-1' }))).toEqual([
      { field: 'x', reason: 'is not a known parameter' },
    ]);
  });

  it('should refuse every query parameter of every route given empty, naming it: empty is not absent', () => {
    const path = { entityType: 'task', entityId: UUID, taskId: UUID, correlationId: 'c-1' };
    let checked = 0;
    for (const [name, route] of Object.entries(AuditRoutes)) {
      // Rules applied elsewhere (documentedRequest): ListDeadLettersQuery below, `active` in audit-service.
      if (name === 'listDeadLetters' || name === 'listLegalHolds') continue;
      for (const parameter of route.request.parameters.filter((p) => p.in === 'query')) {
        const query = { [parameter.name]: '' };
        expect({ route: name, problems: problems(() => route.request.parse(query, path)) }).toEqual({
          route: name,
          problems: expect.arrayContaining([
            { field: parameter.name, reason: expect.stringMatching(/^must not be empty/) },
          ]),
        });
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(30);
    const deadLetters = plainToInstance(ListDeadLettersQuery, { topic: '', limit: '', cursor: '' });
    expect(validateSync(deadLetters).map((error) => error.property)).toEqual(['topic', 'limit', 'cursor']);
  });

  it('should read the entity history from the path and refuse entity filters in the query', () => {
    expect(AuditRoutes.entityHistory.request.parse({ limit: '5' }, { entityType: 'task', entityId: UUID })).toEqual({
      filter: { entityType: 'task', entityId: UUID },
      page: { limit: 5, cursor: undefined },
    });
    expect(
      problems(() => AuditRoutes.entityHistory.request.parse({}, { entityType: 'task', entityId: 'not-a-uuid' })),
    ).toEqual([{ field: 'entityId', reason: 'must be a UUID for entityType task' }]);
    expect(
      problems(() =>
        AuditRoutes.entityHistory.request.parse({ entityId: UUID }, { entityType: 'task', entityId: UUID }),
      ),
    ).toEqual([{ field: 'entityId', reason: 'is not a known parameter' }]);
  });

  it('should read the export format, limit and byte-order-mark flag', () => {
    expect(AuditRoutes.export.request.parse({})).toEqual({
      filter: {},
      format: 'ndjson',
      limit: undefined,
      bom: false,
    });
    expect(AuditRoutes.export.request.parse({ format: 'csv', bom: 'true', limit: '10', type: 'task.' })).toEqual({
      filter: { typePrefixes: ['task.'] },
      format: 'csv',
      limit: 10,
      bom: true,
    });
    expect(problems(() => AuditRoutes.export.request.parse({ format: 'xml' }))).toEqual([
      { field: 'format', reason: 'must be one of ndjson, csv' },
    ]);
    expect(problems(() => AuditRoutes.export.request.parse({ bom: '1' }))).toEqual([
      { field: 'bom', reason: 'must be true or false' },
    ]);
  });
});
