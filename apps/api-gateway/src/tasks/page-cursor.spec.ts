import { parsePageCursor, withPageCursor } from './page-cursor';

describe('page cursors', () => {
  it('should number the pages a client walks through', () => {
    expect(parsePageCursor(undefined)).toEqual({ page: 1 });
    const first = withPageCursor({ items: [], nextCursor: 'c2' }, { page: 1 });
    expect(first.nextCursor).toBe('2.c2');
    const second = parsePageCursor(first.nextCursor!);
    expect(second).toEqual({ page: 2, cursor: 'c2' });
    expect(withPageCursor({ items: [], nextCursor: 'c3' }, second).nextCursor).toBe('3.c3');
    expect(withPageCursor({ items: [], nextCursor: null }, second).nextCursor).toBeNull();
  });

  it.each(['c2', '0.c2', '1.c2', '2.', '2.a:b', '2.a b', '-1.c', '1234567.c', `2.${'x'.repeat(501)}`])(
    'should reject %p with a validation error on cursor',
    (cursor) => {
      expect(() => parsePageCursor(cursor)).toThrow(expect.objectContaining({ code: 'REQUEST.VALIDATION_FAILED' }));
    },
  );
});
