import { keysetCursor, MAX_CURSOR_LENGTH } from './keyset-cursor';

describe('keysetCursor', () => {
  const cursor = keysetCursor<{ at: number; id: string }>({
    write: (position) => [position.at, position.id],
    read: (value) =>
      Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string'
        ? { at: value[0], id: value[1] }
        : undefined,
  });

  it('should read back exactly the position it wrote, as URL-safe text', () => {
    const raw = cursor.encode({ at: 1_767_225_600_000, id: 'a/b+c' });
    expect(raw).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor.decode(raw)).toEqual({ at: 1_767_225_600_000, id: 'a/b+c' });
  });

  it.each([
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('{oops').toString('base64url')],
    ['the wrong shape', Buffer.from('{"at":1}').toString('base64url')],
    ['empty', ''],
    ['too long', 'A'.repeat(MAX_CURSOR_LENGTH + 1)],
  ])('should answer undefined for a cursor that is %s', (_, raw) => {
    expect(cursor.decode(raw)).toBeUndefined();
  });
});
