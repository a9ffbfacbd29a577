import { buildListSql, decodeCursor, encodeCursor } from './list-tasks.sql';

const user = { id: '00000000-0000-4000-8000-000000000001', role: 'user' };
const admin = { id: '00000000-0000-4000-8000-000000000002', role: 'admin' };

describe('buildListSql', () => {
  it('should restrict a user to tasks they created or are assigned to, and not an admin', () => {
    expect(buildListSql(user, {}).sql).toContain('(t.creator_id = $1 OR t.assignee_id = $2)');
    expect(buildListSql(admin, {}).sql).not.toContain('creator_id =');
  });

  it('should combine filters with AND and bind every value', () => {
    const { sql, params } = buildListSql(admin, {
      status: ['todo', 'review'],
      assigneeId: user.id,
      overdue: true,
      q: '50%_off',
    });
    expect(sql).toContain('t.status = ANY($1::task_status[])');
    expect(sql).toContain('t.assignee_id = $2');
    expect(sql).toContain(`t.due_date < now() AND t.status <> 'done'`);
    expect(params).toEqual([['todo', 'review'], user.id, '%50\\%\\_off%', 21]);
  });

  it('should page with a keyset on (sort key, id) in the requested direction', () => {
    const cursor = encodeCursor({ s: 'priority', o: 'asc', k: 'high', id: user.id });
    const { sql, params } = buildListSql(admin, { sort: 'priority', order: 'asc', cursor, limit: 5 });
    expect(sql).toContain('(t.priority, t.id) > ($1::task_priority, $2::uuid)');
    expect(sql).toMatch(/ORDER BY t.priority ASC, t.id ASC LIMIT \$3$/);
    expect(params).toEqual(['high', user.id, 6]);
  });

  it('should reject a cursor made for another sort order or garbage', () => {
    const cursor = encodeCursor({ s: 'createdAt', o: 'desc', k: 'x', id: user.id });
    expect(() => decodeCursor(cursor, 'createdAt', 'asc')).toThrow(/cursor is invalid/);
    expect(() => decodeCursor('not-base64-json', 'createdAt', 'desc')).toThrow(/cursor is invalid/);
    const forgedId = encodeCursor({ s: 'createdAt', o: 'desc', k: 'x', id: "'; DROP TABLE tasks; --" });
    expect(() => decodeCursor(forgedId, 'createdAt', 'desc')).toThrow(/cursor is invalid/);
  });
});
