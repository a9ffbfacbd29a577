import {
  keysetCursor,
  ListTasksQuery,
  TASK_PAGE_DEFAULT,
  TASK_SORT_FIELDS,
  TaskSortField,
  toInstant,
} from '@taskflow/contracts';
import { Actor, isAdmin } from '../../domain/task';
import { invalidCursor } from '../../application/task.errors';

/** Sort key expression and its SQL type; `dueDate` sorts tasks without one last (ascending). */
const SORT_KEYS: Record<TaskSortField, { expression: string; type: string }> = {
  createdAt: { expression: 't.created_at', type: 'timestamptz' },
  updatedAt: { expression: 't.updated_at', type: 'timestamptz' },
  dueDate: { expression: `COALESCE(t.due_date, 'infinity'::timestamptz)`, type: 'timestamptz' },
  priority: { expression: 't.priority', type: 'task_priority' },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Cursor {
  s: TaskSortField;
  o: 'asc' | 'desc';
  /** The sort key as PostgreSQL prints it (text keeps microseconds a JS Date would lose). */
  k: string;
  id: string;
}

/** The task list's keyset cursor: sort, order, the last row's sort key and id. */
const TaskListCursor = keysetCursor<Cursor>({
  write: (cursor) => cursor,
  read: (value) => {
    const cursor = value as Partial<Cursor> | null;
    if (typeof cursor !== 'object' || cursor === null) return undefined;
    const { s, o, k, id } = cursor;
    if (!TASK_SORT_FIELDS.includes(s!) || (o !== 'asc' && o !== 'desc')) return undefined;
    return typeof k === 'string' && UUID.test(String(id)) ? { s: s!, o, k, id: id! } : undefined;
  },
});

export const encodeCursor = TaskListCursor.encode;

/** The cursor's position; a cursor of another sort or order, or one this list did not write, is `invalidCursor`. */
export function decodeCursor(raw: string, sort: TaskSortField, order: 'asc' | 'desc'): Cursor {
  const cursor = TaskListCursor.decode(raw);
  if (!cursor || cursor.s !== sort || cursor.o !== order) throw invalidCursor();
  return cursor;
}

export interface ListSql {
  sql: string;
  params: unknown[];
  limit: number;
  sort: TaskSortField;
  order: 'asc' | 'desc';
}

/** `= $n` for one value: the planner can then walk (status, created_at) in order instead of sorting. */
function anyOf(column: string, type: string, values: string[], bind: (value: unknown) => string): string {
  return values.length === 1
    ? `${column} = ${bind(values[0])}::${type}`
    : `${column} = ANY(${bind(values)}::${type}[])`;
}

/**
 * One page of the actor's visible, non-deleted tasks: filters AND-ed, keyset pagination on (sort key, id).
 * Fetches `limit + 1` rows so the caller knows whether a next page exists.
 */
export function buildListSql(actor: Actor, query: ListTasksQuery): ListSql {
  const params: unknown[] = [];
  const bind = (value: unknown) => `$${params.push(value)}`;
  const where = ['t.deleted_at IS NULL'];
  if (!isAdmin(actor)) where.push(`(t.creator_id = ${bind(actor.id)} OR t.assignee_id = ${bind(actor.id)})`);
  if (query.status?.length) where.push(anyOf('t.status', 'task_status', query.status, bind));
  if (query.priority?.length) where.push(anyOf('t.priority', 'task_priority', query.priority, bind));
  if (query.assigneeId) where.push(`t.assignee_id = ${bind(query.assigneeId)}`);
  if (query.creatorId) where.push(`t.creator_id = ${bind(query.creatorId)}`);
  if (query.dueBefore) where.push(`t.due_date < ${bind(toInstant(query.dueBefore))}::timestamptz`);
  if (query.dueAfter) where.push(`t.due_date > ${bind(toInstant(query.dueAfter))}::timestamptz`);
  if (query.overdue === true) where.push(`t.due_date < now() AND t.status <> 'done'`);
  if (query.overdue === false) where.push(`(t.due_date IS NULL OR t.due_date >= now() OR t.status = 'done')`);
  if (query.q) {
    const pattern = bind(`%${query.q.replace(/[\\%_]/g, '\\$&')}%`);
    where.push(`(t.title ILIKE ${pattern} OR t.description ILIKE ${pattern})`);
  }

  const sort = query.sort ?? 'createdAt';
  const order = query.order ?? 'desc';
  const key = SORT_KEYS[sort];
  if (query.cursor) {
    const cursor = decodeCursor(query.cursor, sort, order);
    const comparison = order === 'desc' ? '<' : '>';
    where.push(`(${key.expression}, t.id) ${comparison} (${bind(cursor.k)}::${key.type}, ${bind(cursor.id)}::uuid)`);
  }
  const limit = query.limit ?? TASK_PAGE_DEFAULT;
  const direction = order.toUpperCase();
  const sql =
    `SELECT t.*, (${key.expression})::text AS sort_key FROM tasks t WHERE ${where.join(' AND ')} ` +
    `ORDER BY ${key.expression} ${direction}, t.id ${direction} LIMIT ${bind(limit + 1)}`;
  return { sql, params, limit, sort, order };
}
