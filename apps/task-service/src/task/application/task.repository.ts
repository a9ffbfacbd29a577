import type { ListTasksQuery } from '@taskflow/contracts';
import type { EntityManager } from 'typeorm';
import { Actor, Task, TaskPriority, TaskStatus } from '../domain/task';

/** What the service maintains itself: never set by a use case. */
type Maintained = 'id' | 'createdAt' | 'updatedAt' | 'completedAt' | 'deletedAt' | 'version';

/**
 * A task to insert: `title` and `creatorId`, any other client field; an absent one takes the column's default
 * (the migration's). The repository assigns `id`, the timestamps, `version` 1 and `completedAt` when `done`.
 */
export type NewTask = Pick<Task, 'title' | 'creatorId'> & Partial<Omit<Task, Maintained>>;

/** The fields a use case may change; `version` and `updatedAt` are maintained by the repository. */
export type TaskChanges = Partial<Omit<Task, 'id' | 'creatorId' | 'createdAt' | 'updatedAt' | 'version'>>;

/** One page of a list; `nextCursor` is opaque to the caller (`null` on the last page). */
export interface TaskSlice {
  items: Task[];
  nextCursor: string | null;
}

/** Non-deleted tasks of one (status, priority) pair; `overdue` counts those past their due date and not done. */
export interface TaskCount {
  status: TaskStatus;
  priority: TaskPriority;
  total: number;
  overdue: number;
}

/**
 * Where tasks are stored (port; the adapter is infrastructure/persistence/typeorm-task.repository.ts). As in
 * user-service, every method runs in the caller's transaction (`manager`); here that transaction comes from
 * `transaction`, which sets the actor the row-level security policies of `tasks` read, so a method sees only the
 * rows the actor may see. Rules about who may do what stay in the use cases (`canAccess`).
 */
export abstract class TaskRepository {
  /**
   * Runs `work` in one transaction as `actor`, on the primary or on a read replica (the primary when there is
   * none); commits, or rolls back and rethrows. Reads that precede a write, and writes, must use `primary`.
   */
  abstract transaction<T>(
    actor: Actor,
    target: 'primary' | 'replica',
    work: (manager: EntityManager) => Promise<T>,
  ): Promise<T>;

  /** The task with `id`, deleted or not, or null. `lock` holds a row lock (SELECT … FOR UPDATE) until the transaction ends. */
  abstract findById(manager: EntityManager, id: string, options?: { lock?: boolean }): Promise<Task | null>;

  /**
   * Inserts and answers the stored task. Throws `unknownUser('creatorId' | 'assigneeId')` for a user that does
   * not exist, `invalidDueDate()` for a due date not after the creation time.
   */
  abstract insert(manager: EntityManager, task: NewTask): Promise<Task>;

  /**
   * Applies `changes` to `current` only if the stored version is still `current.version`, bumps the version and
   * `updatedAt`, and answers the stored task; null when another write got there first (lost race). Throws the
   * errors of `insert` for the fields it changes.
   */
  abstract update(manager: EntityManager, current: Task, changes: TaskChanges): Promise<Task | null>;

  /**
   * One page of the non-deleted tasks `actor` may see (an admin: all) matching `query`'s filters, in its sort
   * order, continuing after `query.cursor`. Throws `invalidCursor()` for a cursor of another query or a forged one.
   */
  abstract listPage(manager: EntityManager, actor: Actor, query: ListTasksQuery): Promise<TaskSlice>;

  /** Counts of the non-deleted tasks `userId` created or is assigned to, per (status, priority) present. */
  abstract countsFor(manager: EntityManager, userId: string): Promise<TaskCount[]>;
}
