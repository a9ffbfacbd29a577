import { ApiProperty } from '@nestjs/swagger';
import type { TaskSnapshotV1 } from '../events/payloads';
import { TaskFields, TaskPriority, TaskStatus } from '../fields/task.fields';

/** The fields of a task whose changes a timeline reports: every snapshot field but `id` and `version`. */
export type TaskTimelineField = Exclude<keyof TaskSnapshotV1, 'id' | 'version'>;
// Each once; the compiler refuses a snapshot field missing here, or a name that is none.
const TIMELINE_FIELDS: Record<TaskTimelineField, true> = {
  title: true,
  description: true,
  status: true,
  priority: true,
  assigneeId: true,
  creatorId: true,
  dueDate: true,
  completedAt: true,
  deletedAt: true,
};
export const TASK_TIMELINE_FIELDS = Object.keys(TIMELINE_FIELDS) as readonly TaskTimelineField[];

const UNKNOWN = 'null also when no stored event carried it (`complete: false`).';

/**
 * A task as rebuilt from its events: the fields of `TaskSnapshotV1` (the `tasks` row), except that a field no
 * stored event carried is null (the task's `task.created` record expired or was never ingested). A
 * `TaskSnapshotV1` is one.
 */
export class TaskStateView {
  @TaskFields.id.required() id!: string;
  @stateField('title', UNKNOWN) title!: string | null;
  @stateField('description') description!: string | null;
  @stateField('status', UNKNOWN) status!: TaskStatus | null;
  @stateField('priority', UNKNOWN) priority!: TaskPriority | null;
  @stateField('assigneeId') assigneeId!: string | null;
  @stateField('creatorId', UNKNOWN) creatorId!: string | null;
  @stateField('dueDate') dueDate!: string | null;
  @stateField('completedAt') completedAt!: string | null;
  @stateField('deletedAt') deletedAt!: string | null;
  @ApiProperty({ ...TaskFields.version.schema, description: 'The task version this state is.' }) version!: number;
}

/** A snapshot field in a rebuilt state, documented as the contract defines it (`TaskFields`), and nullable. */
function stateField(field: TaskTimelineField, description?: string): PropertyDecorator {
  const schema = TaskFields[field].schema!;
  return ApiProperty({
    ...schema,
    enum: schema.enum && [...schema.enum],
    nullable: true,
    ...(description ? { description } : {}),
  });
}

/**
 * `GET /api/v1/audit/tasks/{taskId}/as-of?at=` — a task as the audit store knows it at instant `at`.
 * `task` is null when the task did not exist yet at `at`. `complete` is false when the stored history lacks the
 * task's `task.created` record (expired or never ingested), so fields no later snapshot carried are unknown.
 */
export class TaskAsOfView {
  @ApiProperty({ format: 'uuid' }) taskId!: string;
  @ApiProperty({ format: 'date-time', description: 'RFC 3339 UTC: the instant asked for.' }) at!: string;
  @ApiProperty({
    type: () => TaskStateView,
    nullable: true,
    description: 'The task at `at`; null when it did not exist yet.',
  })
  task!: TaskStateView | null;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The last event at or before `at` that the state reflects (null when `task` is null).',
  })
  asOfEventId!: string | null;
  @ApiProperty({
    description:
      "False when the stored history lacks the task's `task.created` record (or is over 10,000 events): " +
      'fields no later event carried are unknown (null).',
  })
  complete!: boolean;
}

/** One field change of one event: who changed what, when (old and new value as in the task snapshot). */
export class FieldChangeView {
  @ApiProperty({ format: 'uuid', description: 'The event that made the change.' }) eventId!: string;
  @ApiProperty({ example: 'task.updated' }) type!: string;
  @ApiProperty({ format: 'date-time', description: "When the change committed (the event's `occurredAt`)." })
  at!: string;
  @ApiProperty({ description: 'A user id, or `system:<tool>` for a tool.' }) actorId!: string;
  @ApiProperty({ type: String, nullable: true }) correlationId!: string | null;
  @ApiProperty({ enum: TASK_TIMELINE_FIELDS }) field!: TaskTimelineField;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The value before, as in the task snapshot (null: none, or not known).',
  })
  from!: unknown;
  @ApiProperty({ type: String, nullable: true, description: 'The value after, as in the task snapshot.' })
  to!: unknown;
}

/** `GET /api/v1/audit/tasks/{taskId}/timeline` — every field change, oldest first. */
export class TaskTimelineView {
  @ApiProperty({ format: 'uuid' }) taskId!: string;
  @ApiProperty({
    description: "False when the stored history lacks the task's `task.created` record (or is over 10,000 events).",
  })
  complete!: boolean;
  @ApiProperty({ type: () => FieldChangeView, isArray: true, description: 'Oldest first.' }) items!: FieldChangeView[];
}
