import type { TaskStatus } from '../fields/task.fields';
import { hasPermission } from './roles';

/** Who acts: a user id and role (a role with `task:all`, the admin, sees every task). */
export interface TaskActor {
  id: string;
  role: string;
}

/**
 * Task visibility, the one home of the rule: a user sees and changes only tasks they created or are assigned to;
 * a role with the permission `task:all` (the admin: roles.ts) sees all. Applied by task-service's use cases; the
 * gateway applies it before serving a cached copy.
 * SQL that must say the same (the row-level security policies of `tasks`, the list query's filter) is tested
 * against this function (apps/task-service/test/rules-mirror.int-spec.ts, database-security.int-spec.ts).
 */
export function canAccessTask(actor: TaskActor, task: { creatorId: string; assigneeId: string | null }): boolean {
  return hasPermission(actor.role, 'task:all') || task.creatorId === actor.id || task.assigneeId === actor.id;
}

/**
 * "Overdue", the one home of the rule: the due date has passed (strictly before `now`) and the task is not done.
 * The list filter `overdue=true|false` and the stats' `overdue` count are SQL tested against this function
 * (apps/task-service/test/rules-mirror.int-spec.ts).
 */
export function isTaskOverdue(task: { dueDate: Date | null; status: TaskStatus }, now: Date): boolean {
  return task.dueDate !== null && task.dueDate < now && task.status !== 'done';
}
