import { canAccessTask, hasPermission } from '@taskflow/contracts';
import type { TaskActor, TaskDateTimeField, TaskPriority, TaskStatus, TaskView } from '@taskflow/contracts';

export type { TaskPriority, TaskStatus };

/**
 * A task as the service works with it (no ORM, no Nest): the contract's `TaskView` (libs/contracts, where each
 * field is defined once) with its date-times as instants.
 */
export type Task = {
  [F in keyof TaskView]: F extends TaskDateTimeField ? (null extends TaskView[F] ? Date | null : Date) : TaskView[F];
};

/** Who acts (the verified RPC credential's subject and role). */
export type Actor = TaskActor;

/** Whether the actor sees every task and anyone's statistics (permission `task:all`, libs/contracts roles). */
export function isAdmin(actor: Actor): boolean {
  return hasPermission(actor.role, 'task:all');
}

/**
 * A user sees and changes only tasks they created or are assigned to; an admin sees all (the contract's rule,
 * `canAccessTask`). A change must leave the task in the actor's view too (so an assignee who did not create a task
 * cannot hand it to someone else). The row-level security policies on `tasks` (migration 1767225700004) state the
 * same rule in SQL.
 */
export const canAccess = canAccessTask;

/** `completed_at` for a status change, so that chk_task_completion always holds. */
export function completedAtFor(status: TaskStatus, current: Date | null, now: Date): Date | null {
  if (status !== 'done') return null;
  return current ?? now;
}
