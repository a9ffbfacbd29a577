import { CommonErrorCodes } from './error-codes';
import { IdempotencyErrorCodes } from './patterns';
import { TaskErrorCodes } from './task.rpc';
import { UserErrorCodes } from './user.rpc';

describe('error-code tables', () => {
  it('should spell each failure once: no code in two tables or under two names', () => {
    const codes = [CommonErrorCodes, IdempotencyErrorCodes, TaskErrorCodes, UserErrorCodes].flatMap((table) =>
      Object.values(table),
    );
    expect(codes.length).toBe(new Set(codes).size);
    for (const code of codes) expect(code).toMatch(/^[A-Z_]+\.[A-Z_]+$/);
  });
});
