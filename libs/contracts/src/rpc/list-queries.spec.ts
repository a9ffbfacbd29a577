import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync } from 'class-validator';
import { ListDeadLettersQuery } from '../audit/operations';
import { VerifyRangeQuery } from '../audit/verify';
import { ListTasksQuery, TaskStatsQuery } from './task.rpc';
import { ListUsersQuery } from './user.rpc';

/** Every property a query class validates (its filters, page and sort parameters). */
function parametersOf(type: new () => object): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(type, '', true, false);
  return [...new Set(metadata.map((rule) => rule.propertyName))];
}

// A query string carries text: `?dueBefore=` arrives as ''. Empty is not absent — a client that meant a bound must
// not silently get none — so every parameter of every list, search and filter query refuses it, naming itself.
describe('query parameters given empty', () => {
  it.each<new () => object>([ListTasksQuery, TaskStatsQuery, ListUsersQuery, ListDeadLettersQuery, VerifyRangeQuery])(
    'should refuse each parameter of %p given empty, naming it',
    (type) => {
      const parameters = parametersOf(type);
      expect(parameters.length).toBeGreaterThan(0);
      for (const parameter of parameters) {
        const errors = validateSync(plainToInstance(type, { [parameter]: '' }));
        expect({ parameter, failed: errors.map((error) => error.property) }).toEqual({
          parameter,
          failed: [parameter],
        });
      }
    },
  );
});

describe('search text', () => {
  it.each(['  ', '\u3000', '\t'])('should refuse q=%j (nothing to find), as the user search does', (q) => {
    for (const type of [ListTasksQuery, ListUsersQuery]) {
      const field = type === ListTasksQuery ? 'q' : 'search';
      const errors = validateSync(plainToInstance(type as new () => object, { [field]: q }));
      expect(errors.map((error) => error.property)).toEqual([field]);
    }
  });
});
