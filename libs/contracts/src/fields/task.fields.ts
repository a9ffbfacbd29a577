import { dateTime, defineField, HasVisibleCharacter, INT4_MAX, intIn, oneOf, text, uuid } from './rules';

export const TASK_STATUSES = ['todo', 'in_progress', 'review', 'done'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TASK_PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];

/** `tasks.title varchar(255)`: code points. */
export const TASK_TITLE_MAX = 255;
export const TASK_DESCRIPTION_MAX = 10_000;
/** Longest text searched by `q`. */
export const TASK_QUERY_MAX = 200;

/**
 * Each task field once, as the `tasks` table holds it (seed 001): type, nullability, length in code points,
 * format, range, and the OpenAPI schema that states them. The gateway's request classes, the RPC requests and
 * answers and the event snapshots all declare their task fields with these; `TaskFields.title.optional()` is
 * "may be absent, never null".
 */
export const TaskFields = {
  id: defineField(false, uuid),
  /** Says something: a title of only white space (`"   "`, U+3000, tabs) is refused, never trimmed. */
  title: defineField(
    false,
    text(
      { min: 1, max: TASK_TITLE_MAX },
      'At least one visible character (only white space is refused, never trimmed).',
    ),
    { input: HasVisibleCharacter },
  ),
  description: defineField(true, text({ max: TASK_DESCRIPTION_MAX })),
  status: defineField(false, oneOf(TASK_STATUSES)),
  priority: defineField(false, oneOf(TASK_PRIORITIES)),
  assigneeId: defineField(true, uuid),
  creatorId: defineField(false, uuid),
  /** RFC 3339 with offset; the service binds the parsed instant, never the client's string. */
  dueDate: defineField(true, dateTime),
  completedAt: defineField(true, dateTime),
  deletedAt: defineField(true, dateTime),
  createdAt: defineField(false, dateTime),
  updatedAt: defineField(false, dateTime),
  /** `integer`, `CHECK (version > 0)`. */
  version: defineField(false, intIn({ min: 1, max: INT4_MAX })),
} as const;

/**
 * The task fields that hold an instant: RFC 3339 text on the wire, `timestamptz` in PostgreSQL, `Date` inside the
 * services. The fields whose rule is `dateTime` above (a spec holds the two lists equal).
 */
export const TASK_DATE_TIME_FIELDS = ['dueDate', 'completedAt', 'deletedAt', 'createdAt', 'updatedAt'] as const;
export type TaskDateTimeField = (typeof TASK_DATE_TIME_FIELDS)[number];
