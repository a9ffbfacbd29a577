import { IsEmail, IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, IsUUID, Min } from 'class-validator';
import { EventType } from './event-types';

export const TASK_STATUSES = ['todo', 'in_progress', 'review', 'done'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TASK_PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];
export const USER_ROLES = ['user', 'admin', 'auditor'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** Snapshot of a task after the change. Timestamps are ISO-8601 UTC; nullable fields are `null`, never absent. */
export class TaskSnapshotV1 {
  @IsUUID() id!: string;
  @IsString() title!: string;
  @IsOptional() @IsString() description!: string | null;
  @IsIn(TASK_STATUSES) status!: TaskStatus;
  @IsIn(TASK_PRIORITIES) priority!: TaskPriority;
  @IsOptional() @IsUUID() assigneeId!: string | null;
  @IsUUID() creatorId!: string;
  @IsOptional() @IsISO8601() dueDate!: string | null;
  @IsOptional() @IsISO8601() completedAt!: string | null;
  @IsOptional() @IsISO8601() deletedAt!: string | null;
  @IsInt() @Min(1) version!: number;
}

export class TaskCreatedV1 {
  @IsObject() task!: TaskSnapshotV1;
}
export class TaskUpdatedV1 {
  @IsObject() task!: TaskSnapshotV1;
  /** Names of the fields this update changed. */
  @IsString({ each: true }) changedFields!: string[];
}
export class TaskAssignedV1 {
  @IsUUID() taskId!: string;
  @IsOptional() @IsUUID() assigneeId!: string | null;
  @IsOptional() @IsUUID() previousAssigneeId!: string | null;
  @IsInt() version!: number;
}
export class TaskStatusChangedV1 {
  @IsUUID() taskId!: string;
  @IsIn(TASK_STATUSES) from!: TaskStatus;
  @IsIn(TASK_STATUSES) to!: TaskStatus;
  @IsInt() version!: number;
}
export class TaskDeletedV1 {
  @IsUUID() taskId!: string;
  @IsISO8601() deletedAt!: string;
  @IsInt() version!: number;
}
export class TaskRestoredV1 {
  @IsUUID() taskId!: string;
  @IsInt() version!: number;
}

export class UserRegisteredV1 {
  @IsUUID() userId!: string;
  @IsEmail() email!: string;
  @IsIn(USER_ROLES) role!: UserRole;
}
export class UserLoginV1 {
  @IsUUID() userId!: string;
  @IsString() sessionId!: string;
}
export class UserLogoutV1 {
  @IsUUID() userId!: string;
  @IsString() sessionId!: string;
}
export class UserProfileUpdatedV1 {
  @IsUUID() userId!: string;
  @IsString({ each: true }) changedFields!: string[];
}
export class UserRoleChangedV1 {
  @IsUUID() userId!: string;
  @IsIn(USER_ROLES) from!: UserRole;
  @IsIn(USER_ROLES) to!: UserRole;
}

export class SystemBackupStartedV1 {
  @IsString() backupId!: string;
  /** What is backed up: `postgres`, `mongo` or `redis`. */
  @IsString() target!: string;
}
export class SystemBackupCompletedV1 {
  @IsString() backupId!: string;
  @IsString() target!: string;
  @IsIn(['succeeded', 'failed']) outcome!: 'succeeded' | 'failed';
  @IsOptional() @IsInt() sizeBytes?: number;
  @IsOptional() @IsString() sha256?: string;
  @IsOptional() @IsString() error?: string;
}
export class SystemMaintenanceStartedV1 {
  @IsString() reason!: string;
  @IsOptional() @IsISO8601() expectedEndAt?: string;
}

/** Payload class and schema version of every event type; consumers validate the payload against it. */
export const EVENT_PAYLOADS: Record<EventType, { version: number; payload: new () => object }> = {
  [EventType.TaskCreated]: { version: 1, payload: TaskCreatedV1 },
  [EventType.TaskUpdated]: { version: 1, payload: TaskUpdatedV1 },
  [EventType.TaskAssigned]: { version: 1, payload: TaskAssignedV1 },
  [EventType.TaskStatusChanged]: { version: 1, payload: TaskStatusChangedV1 },
  [EventType.TaskDeleted]: { version: 1, payload: TaskDeletedV1 },
  [EventType.TaskRestored]: { version: 1, payload: TaskRestoredV1 },
  [EventType.UserRegistered]: { version: 1, payload: UserRegisteredV1 },
  [EventType.UserLogin]: { version: 1, payload: UserLoginV1 },
  [EventType.UserLogout]: { version: 1, payload: UserLogoutV1 },
  [EventType.UserProfileUpdated]: { version: 1, payload: UserProfileUpdatedV1 },
  [EventType.UserRoleChanged]: { version: 1, payload: UserRoleChangedV1 },
  [EventType.SystemBackupStarted]: { version: 1, payload: SystemBackupStartedV1 },
  [EventType.SystemBackupCompleted]: { version: 1, payload: SystemBackupCompletedV1 },
  [EventType.SystemMaintenanceStarted]: { version: 1, payload: SystemMaintenanceStartedV1 },
};
