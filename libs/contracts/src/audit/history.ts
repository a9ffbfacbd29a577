import { TaskSnapshotV1 } from '../events/payloads';

/** The fields of a task whose changes a timeline reports (every snapshot field but `id` and `version`). */
export const TASK_TIMELINE_FIELDS = [
  'title',
  'description',
  'status',
  'priority',
  'assigneeId',
  'creatorId',
  'dueDate',
  'completedAt',
  'deletedAt',
] as const;
export type TaskTimelineField = (typeof TASK_TIMELINE_FIELDS)[number];

/**
 * `GET /api/v1/audit/tasks/{taskId}/as-of?at=` — a task as the audit store knows it at instant `at`.
 * `task` is null when the task did not exist yet at `at`. `complete` is false when the stored history lacks the
 * task's `task.created` record (expired or never ingested), so fields no later snapshot carried are unknown.
 */
export class TaskAsOfView {
  taskId!: string;
  /** RFC 3339 UTC: the instant asked for. */
  at!: string;
  task!: TaskSnapshotV1 | null;
  /** The last event at or before `at` that the state reflects (null when `task` is null). */
  asOfEventId!: string | null;
  complete!: boolean;
}

/** One field change of one event: who changed what, when (old and new value as in the task snapshot). */
export class FieldChangeView {
  eventId!: string;
  type!: string;
  /** RFC 3339 UTC: when the change committed (the event's `occurredAt`). */
  at!: string;
  actorId!: string;
  correlationId!: string | null;
  field!: TaskTimelineField;
  from!: unknown;
  to!: unknown;
}

/** `GET /api/v1/audit/tasks/{taskId}/timeline` — every field change, oldest first. */
export class TaskTimelineView {
  taskId!: string;
  complete!: boolean;
  items!: FieldChangeView[];
}
