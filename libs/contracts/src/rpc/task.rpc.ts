import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { TASK_PRIORITIES, TASK_STATUSES, TaskPriority, TaskStatus } from '../events/payloads';

/**
 * Request/response shapes of the `TaskPatterns` RPCs (task-service). Each request is an
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
  unauthenticated: 'TASK.UNAUTHENTICATED',
} as const;

export const TASK_TITLE_MAX = 255;
export const TASK_DESCRIPTION_MAX = 10_000;
/** Largest page of `task.list`. */
export const TASK_PAGE_MAX = 100;
export const TASK_PAGE_DEFAULT = 20;
export const TASK_SORT_FIELDS = ['createdAt', 'updatedAt', 'dueDate', 'priority'] as const;
export type TaskSortField = (typeof TASK_SORT_FIELDS)[number];

const nullable = (_: object, value: unknown) => value !== null;

/** `task.create`. The actor becomes the creator. Answers `TaskView` (status `todo` unless given). */
export class CreateTaskData {
  @IsString() @MinLength(1) @MaxLength(TASK_TITLE_MAX) title!: string;
  @IsOptional() @ValidateIf(nullable) @IsString() @MaxLength(TASK_DESCRIPTION_MAX) description?: string | null;
  @IsOptional() @IsIn(TASK_PRIORITIES) priority?: TaskPriority;
  @IsOptional() @IsIn(TASK_STATUSES) status?: TaskStatus;
  @IsOptional() @ValidateIf(nullable) @IsUUID() assigneeId?: string | null;
  /** ISO-8601; must be in the future. */
  @IsOptional() @ValidateIf(nullable) @IsISO8601({ strict: true }) dueDate?: string | null;
}

/** `task.get`, `task.restore`. Answers `TaskView`. A deleted task is found only by `task.restore`. */
export class TaskIdData {
  @IsUUID() id!: string;
}

/**
 * `task.update`: changes the given fields when `version` is the stored one (optimistic locking), else
 * `conflict TASK.VERSION_CONFLICT`. `null` clears a nullable field. Answers `TaskView` with version + 1.
 */
export class UpdateTaskData {
  @IsUUID() id!: string;
  @IsInt() @Min(1) version!: number;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(TASK_TITLE_MAX) title?: string;
  @IsOptional() @ValidateIf(nullable) @IsString() @MaxLength(TASK_DESCRIPTION_MAX) description?: string | null;
  @IsOptional() @IsIn(TASK_PRIORITIES) priority?: TaskPriority;
  @IsOptional() @ValidateIf(nullable) @IsISO8601({ strict: true }) dueDate?: string | null;
}

/** `task.change_status`: sets `completedAt` when moving to `done`, clears it otherwise. Answers `TaskView`. */
export class ChangeTaskStatusData {
  @IsUUID() id!: string;
  @IsInt() @Min(1) version!: number;
  @IsIn(TASK_STATUSES) status!: TaskStatus;
}

/** `task.assign`: `assigneeId: null` unassigns. Answers `TaskView`. */
export class AssignTaskData {
  @IsUUID() id!: string;
  @IsInt() @Min(1) version!: number;
  @ValidateIf(nullable) @IsUUID() assigneeId!: string | null;
}

/** `task.delete` (soft). `version` optional; when given it must match. Answers `{ ok: true }`. */
export class DeleteTaskData {
  @IsUUID() id!: string;
  @IsOptional() @IsInt() @Min(1) version?: number;
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
  @IsOptional() @IsUUID() assigneeId?: string;
  @IsOptional() @IsUUID() creatorId?: string;
  /** ISO-8601; due strictly before. */
  @IsOptional() @IsISO8601({ strict: true }) dueBefore?: string;
  /** ISO-8601; due strictly after. */
  @IsOptional() @IsISO8601({ strict: true }) dueAfter?: string;
  /** `true`: due date passed and not done; `false`: the others. */
  @IsOptional() @IsBoolean() overdue?: boolean;
  /** Case-insensitive text search in title and description. */
  @IsOptional() @IsString() @MinLength(1) @MaxLength(200) q?: string;
  /** Default `createdAt`. */
  @IsOptional() @IsIn(TASK_SORT_FIELDS) sort?: TaskSortField;
  /** Default `desc`. */
  @IsOptional() @IsIn(['asc', 'desc']) order?: 'asc' | 'desc';
  @IsOptional() @IsInt() @Min(1) @Max(TASK_PAGE_MAX) limit?: number;
  /** Opaque, from a previous page. */
  @IsOptional() @IsString() @MaxLength(512) cursor?: string;
}

/** `task.stats`: numbers over the tasks visible to `userId` (default the actor; another user: admin only). */
export class TaskStatsQuery {
  @IsOptional() @IsUUID() userId?: string;
}

/** What the service answers about a task. Timestamps are ISO-8601 UTC; nullable fields are `null`. */
export interface TaskView {
  id: string;
  title: string;
  description: string | null;
  status: TaskStatus;
  priority: TaskPriority;
  assigneeId: string | null;
  creatorId: string;
  dueDate: string | null;
  completedAt: string | null;
  deletedAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface TaskPage {
  items: TaskView[];
  /** `null` on the last page. */
  nextCursor: string | null;
}

/** Backs the seed's `task:stats` cache key. `overdue`: due date passed and status not `done`. */
export interface TaskStats {
  total: number;
  byStatus: Record<TaskStatus, number>;
  byPriority: Record<TaskPriority, number>;
  overdue: number;
}

function toList(value: unknown): unknown {
  return typeof value === 'string' ? value.split(',') : value;
}
