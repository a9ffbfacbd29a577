import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import {
  TASK_PRIORITIES,
  TASK_QUERY_MAX,
  TASK_STATUSES,
  TaskFields,
  TaskPriority,
  TaskStatus,
} from '../fields/task.fields';
import { answerOf, defineRpc } from './define-rpc';
import { dateTime, decimalIntIn, defineField, HasVisibleCharacter, text, uuid } from '../fields/rules';

/**
 * Request/response shapes of the `TaskRpc` operations (task-service). Each request is an
 * `RpcRequest<XxxData>` whose `context.actor` is required; the service validates `data` with these classes
 * (unknown fields are rejected) and answers failures as `RpcErrorBody` with one of `TaskErrorCodes`.
 * Authorisation: an actor sees and changes only tasks they created or are assigned to (admin: all); any
 * other task answers `not_found TASK.NOT_FOUND`, so existence does not leak.
 */

/** Stable error codes of task-service. */
export const TaskErrorCodes = {
  validation: 'TASK.VALIDATION_FAILED',
  notFound: 'TASK.NOT_FOUND',
  /** Stale `version`; `details.currentVersion` holds the stored one. */
  versionConflict: 'TASK.VERSION_CONFLICT',
  /** `assigneeId`/creator does not reference an existing user. */
  unknownUser: 'TASK.UNKNOWN_USER',
  /** `dueDate` not after the task's creation time. */
  invalidDueDate: 'TASK.INVALID_DUE_DATE',
  forbidden: 'TASK.FORBIDDEN',
  /** `task.restore` of a task that is not deleted. */
  notDeleted: 'TASK.NOT_DELETED',
  unauthenticated: 'TASK.UNAUTHENTICATED',
} as const;

/** Largest page of `task.list`. */
export const TASK_PAGE_MAX = 100;
export const TASK_PAGE_DEFAULT = 20;
export const TASK_SORT_FIELDS = ['createdAt', 'updatedAt', 'dueDate', 'priority'] as const;
export type TaskSortField = (typeof TASK_SORT_FIELDS)[number];

const PAGE_LIMIT = defineField(false, decimalIntIn({ min: 1, max: TASK_PAGE_MAX }));
const FILTER_DATE = defineField(false, dateTime);
const FILTER_USER = defineField(false, uuid);
/** `q` of list and search: text like a title's. */
export const TASK_QUERY = defineField(false, text({ min: 1, max: TASK_QUERY_MAX }), HasVisibleCharacter);
export const TASK_CURSOR = defineField(false, text({ min: 1, max: 512 }));

/** `task.create`. The actor becomes the creator. Answers `TaskView` (status `todo` unless given). */
export class CreateTaskData {
  @TaskFields.title.required() title!: string;
  @TaskFields.description.optional() description?: string | null;
  @TaskFields.priority.optional() priority?: TaskPriority;
  @TaskFields.status.optional() status?: TaskStatus;
  @TaskFields.assigneeId.optional() assigneeId?: string | null;
  /** RFC 3339 with offset; must be after the creation time. */
  @TaskFields.dueDate.optional() dueDate?: string | null;
}

/**
 * `task.get` answers `TaskView`; `task.restore` answers `TaskChange`. A deleted task is found only by
 * `task.restore`; restoring a task that is not deleted is `conflict TASK.NOT_DELETED`.
 */
export class TaskIdData {
  @TaskFields.id.required() id!: string;
}

/**
 * `task.update`: changes the given fields when `version` is the stored one (optimistic locking), else
 * `conflict TASK.VERSION_CONFLICT`. `null` clears a nullable field. Answers `TaskChange` with version + 1.
 */
export class UpdateTaskData {
  @TaskFields.id.required() id!: string;
  @TaskFields.version.required() version!: number;
  @TaskFields.title.optional() title?: string;
  @TaskFields.description.optional() description?: string | null;
  @TaskFields.priority.optional() priority?: TaskPriority;
  @TaskFields.dueDate.optional() dueDate?: string | null;
}

/** `task.change_status`: sets `completedAt` when moving to `done`, clears it otherwise. Answers `TaskChange`. */
export class ChangeTaskStatusData {
  @TaskFields.id.required() id!: string;
  @TaskFields.version.required() version!: number;
  @TaskFields.status.required() status!: TaskStatus;
}

/** `task.assign`: `assigneeId: null` unassigns. Answers `TaskChange`. */
export class AssignTaskData {
  @TaskFields.id.required() id!: string;
  @TaskFields.version.required() version!: number;
  @TaskFields.assigneeId.required() assigneeId!: string | null;
}

/** `task.delete` (soft). `version` optional; when given it must match. Answers `TaskDeleted`. */
export class DeleteTaskData {
  @TaskFields.id.required() id!: string;
  @TaskFields.version.optional() version?: number;
}

/**
 * `task.list`: the actor's visible tasks (admin: all), filters combined with AND. Answers `TaskPage`.
 * Keyset pagination: pass `nextCursor` back as `cursor` with the same filters and sort.
 */
export class ListTasksQuery {
  @IsOptional() @IsIn(TASK_STATUSES, { each: true }) @Transform(({ value }) => toList(value)) status?: TaskStatus[];
  @IsOptional()
  @IsIn(TASK_PRIORITIES, { each: true })
  @Transform(({ value }) => toList(value))
  priority?: TaskPriority[];
  @FILTER_USER.optional() assigneeId?: string;
  @FILTER_USER.optional() creatorId?: string;
  /** RFC 3339 with offset; due strictly before. */
  @FILTER_DATE.optional() dueBefore?: string;
  /** RFC 3339 with offset; due strictly after. */
  @FILTER_DATE.optional() dueAfter?: string;
  /** `true`: due date passed and not done; `false`: the others. */
  @IsOptional() @IsBoolean() overdue?: boolean;
  /** Case-insensitive text search in title and description. */
  @TASK_QUERY.optional() q?: string;
  /** Default `createdAt`. */
  @IsOptional() @IsIn(TASK_SORT_FIELDS) sort?: TaskSortField;
  /** Default `desc`. */
  @IsOptional() @IsIn(['asc', 'desc']) order?: 'asc' | 'desc';
  @PAGE_LIMIT.optional() limit?: number;
  /** Opaque, from a previous page. */
  @TASK_CURSOR.optional() cursor?: string;
}

/** `task.stats`: numbers over the tasks visible to `userId` (default the actor; another user: admin only). */
export class TaskStatsQuery {
  @FILTER_USER.optional() userId?: string;
}

/**
 * What the service answers about a task, and the OpenAPI schema of the gateway's task responses. Timestamps are
 * ISO-8601 UTC; nullable fields are `null`.
 */
export class TaskView {
  @TaskFields.id.required() id!: string;
  @TaskFields.title.required() title!: string;
  @TaskFields.description.required() description!: string | null;
  @TaskFields.status.required() status!: TaskStatus;
  @TaskFields.priority.required() priority!: TaskPriority;
  @TaskFields.assigneeId.required() assigneeId!: string | null;
  @TaskFields.creatorId.required() creatorId!: string;
  @TaskFields.dueDate.required() dueDate!: string | null;
  @TaskFields.completedAt.required() completedAt!: string | null;
  @TaskFields.deletedAt.required() deletedAt!: string | null;
  @TaskFields.createdAt.required() createdAt!: string;
  @TaskFields.updatedAt.required() updatedAt!: string;
  @TaskFields.version.required() version!: number;
}

/**
 * What a change of an existing task answers (`task.update`, `change_status`, `assign`, `restore`): the task and
 * `affectedUserIds`, its creator and assignees before and after the change, whose cached views are stale now.
 */
export type TaskChange = TaskView & { affectedUserIds: string[] };

/** What `task.delete` answers; `affectedUserIds` as in `TaskChange`. */
export interface TaskDeleted {
  ok: true;
  affectedUserIds: string[];
}

/** One keyset page of tasks. */
export class TaskPage {
  @ApiProperty({ type: [TaskView] }) items!: TaskView[];
  /** `null` on the last page. */
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass back as `cursor` for the next page; `null` on the last.',
  })
  nextCursor!: string | null;
}

const countsOf = (keys: readonly string[]) => ({
  type: 'object' as const,
  properties: Object.fromEntries(keys.map((key) => [key, { type: 'integer' as const, minimum: 0 }])),
  required: [...keys],
});

/** Backs the seed's `task:stats` cache key. `overdue`: due date passed and status not `done`. */
export class TaskStats {
  @ApiProperty({ type: 'integer', minimum: 0 }) total!: number;
  @ApiProperty(countsOf(TASK_STATUSES)) byStatus!: Record<TaskStatus, number>;
  @ApiProperty(countsOf(TASK_PRIORITIES)) byPriority!: Record<TaskPriority, number>;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Due date passed and status not `done`.' })
  overdue!: number;
}

function toList(value: unknown): unknown {
  return typeof value === 'string' ? value.split(',') : value;
}

/** Every task-service operation: pattern, request class, answer type (the only list of them). */
export const TaskRpc = {
  create: defineRpc({ pattern: 'task.create', request: CreateTaskData, answer: answerOf<TaskView>() }),
  get: defineRpc({ pattern: 'task.get', request: TaskIdData, answer: answerOf<TaskView>() }),
  update: defineRpc({ pattern: 'task.update', request: UpdateTaskData, answer: answerOf<TaskChange>() }),
  changeStatus: defineRpc({
    pattern: 'task.change_status',
    request: ChangeTaskStatusData,
    answer: answerOf<TaskChange>(),
  }),
  assign: defineRpc({ pattern: 'task.assign', request: AssignTaskData, answer: answerOf<TaskChange>() }),
  delete: defineRpc({ pattern: 'task.delete', request: DeleteTaskData, answer: answerOf<TaskDeleted>() }),
  restore: defineRpc({ pattern: 'task.restore', request: TaskIdData, answer: answerOf<TaskChange>() }),
  list: defineRpc({ pattern: 'task.list', request: ListTasksQuery, answer: answerOf<TaskPage>() }),
  stats: defineRpc({ pattern: 'task.stats', request: TaskStatsQuery, answer: answerOf<TaskStats>() }),
} as const;
