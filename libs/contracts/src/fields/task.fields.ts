import { IsIn } from 'class-validator';
import { defineField, HasVisibleCharacter, INT4_MAX, IsCanonicalUuid, IsDateTime, IsIntIn, IsText } from './rules';

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
 * format, range. The gateway's request classes, the RPC requests and the event snapshots all apply these;
 * `TaskFields.title.optional()` is "may be absent, never null".
 */
export const TaskFields = {
  id: defineField(false, IsCanonicalUuid),
  /** Says something: a title of only white space (`"   "`, U+3000, tabs) is refused, never trimmed. */
  title: defineField(false, () => IsText({ min: 1, max: TASK_TITLE_MAX }), { input: HasVisibleCharacter }),
  description: defineField(true, () => IsText({ max: TASK_DESCRIPTION_MAX })),
  status: defineField(false, () => IsIn(TASK_STATUSES)),
  priority: defineField(false, () => IsIn(TASK_PRIORITIES)),
  assigneeId: defineField(true, IsCanonicalUuid),
  creatorId: defineField(false, IsCanonicalUuid),
  /** RFC 3339 with offset; the service binds the parsed instant, never the client's string. */
  dueDate: defineField(true, IsDateTime),
  completedAt: defineField(true, IsDateTime),
  deletedAt: defineField(true, IsDateTime),
  /** `integer`, `CHECK (version > 0)`. */
  version: defineField(false, () => IsIntIn({ min: 1, max: INT4_MAX })),
} as const;
