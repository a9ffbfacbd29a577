import {
  AssignTaskData,
  ChangeTaskStatusData,
  CreateTaskData,
  DefinedEvent,
  DeleteTaskData,
  eventContextOf,
  Events,
  ListTasksQuery,
  RpcContext,
  TASK_PRIORITIES,
  TASK_STATUSES,
  TaskIdData,
  TaskPage,
  TaskRpc,
  TaskStats,
  TaskStatsQuery,
  TaskChange,
  TaskDeleted,
  TaskView,
  UpdateTaskData,
} from '@taskflow/contracts';
import { idempotentRequest, IdempotencyRecords } from '@taskflow/idempotency';
import { TransactionalOutbox } from '@taskflow/outbox';
import type { EntityManager } from 'typeorm';
import { Actor, canAccess, completedAtFor, isAdmin, Task } from '../domain/task';
import { forbidden, notDeleted, taskNotFound, unauthenticated, versionConflict } from './task.errors';
import { TaskChanges, TaskRepository } from './task.repository';
import { parseTaskFields, toSnapshot, toTaskView } from './task.view';

export interface TaskServiceOptions {
  /** Where tasks are stored; its `transaction` sets the actor for row-level security. */
  tasks: TaskRepository;
  /** The service's outbox table: each write appends its event there in its own transaction. */
  outbox: TransactionalOutbox;
  /** Where keyed writes (`context.idempotencyKey`) are recorded with their result. */
  idempotency: IdempotencyRecords;
}

interface Change {
  /** Field → new value; `version` and `updatedAt` are maintained by the repository. */
  set: TaskChanges;
  event: (updated: Task) => DefinedEvent;
}

/**
 * Task use cases. Every write runs in one transaction that locks the row, checks access and the expected
 * version, updates with `WHERE version = $n` (and checks the affected rows), and appends its event to the
 * outbox; a write with an Idempotency-Key records the key and its result in the same transaction. Reads of lists and stats may go to a replica; single-task reads and all writes use the primary.
 * Every query runs in a transaction with the actor set (`TaskRepository.transaction`), so `tasks`' row-level
 * security filters the rows a second time.
 */
export class TaskService {
  constructor(private readonly options: TaskServiceOptions) {}

  async create(context: RpcContext, data: CreateTaskData): Promise<TaskView> {
    const actor = requireActor(context);
    return this.write(context, TaskRpc.create.pattern, data, toTaskView, async (manager) => {
      const created = await this.options.tasks.insert(manager, { ...parseTaskFields(data), creatorId: actor.id });
      return { task: created, event: { definition: Events.TaskCreated, payload: { task: toSnapshot(created) } } };
    });
  }

  async get(context: RpcContext, data: TaskIdData): Promise<TaskView> {
    const actor = requireActor(context);
    const task = await this.options.tasks.transaction(actor, 'primary', (manager) =>
      this.options.tasks.findById(manager, data.id),
    );
    if (!task || task.deletedAt !== null || !canAccess(actor, task)) throw taskNotFound(data.id);
    return toTaskView(task);
  }

  update(context: RpcContext, data: UpdateTaskData): Promise<TaskChange> {
    return this.change(context, TaskRpc.update.pattern, data, data.id, data.version, 'live', (task) => {
      // Every field of the request but the task's id and version is an edit (the contract refuses any other).
      const { id: _id, version: _version, ...edits } = parseTaskFields(data);
      const set: TaskChanges = {};
      const changed: (keyof TaskChanges)[] = [];
      for (const [field, next] of Object.entries(edits) as [keyof TaskChanges, unknown][]) {
        if (next === undefined || sameValue(next, task[field])) continue;
        Object.assign(set, { [field]: next });
        changed.push(field);
      }
      if (changed.length === 0) return null;
      return {
        set,
        event: (updated) => ({
          definition: Events.TaskUpdated,
          payload: { task: toSnapshot(updated), changedFields: changed },
        }),
      };
    });
  }

  changeStatus(context: RpcContext, data: ChangeTaskStatusData): Promise<TaskChange> {
    return this.change(context, TaskRpc.changeStatus.pattern, data, data.id, data.version, 'live', (task) => {
      if (task.status === data.status) return null;
      return {
        set: { status: data.status, completedAt: completedAtFor(data.status, task.completedAt, new Date()) },
        event: (updated) => ({
          definition: Events.TaskStatusChanged,
          payload: {
            taskId: task.id,
            from: task.status,
            to: data.status,
            version: updated.version,
            completedAt: updated.completedAt?.toISOString() ?? null,
          },
        }),
      };
    });
  }

  /** Only the creator or an admin may give a task away: the task must stay in the actor's view (`canAccess`). */
  assign(context: RpcContext, data: AssignTaskData): Promise<TaskChange> {
    return this.change(context, TaskRpc.assign.pattern, data, data.id, data.version, 'live', (task) => {
      if (task.assigneeId === data.assigneeId) return null;
      if (!canAccess(requireActor(context), { creatorId: task.creatorId, assigneeId: data.assigneeId })) {
        throw forbidden('Only the creator of a task or an admin can assign it to someone else.');
      }
      return {
        set: { assigneeId: data.assigneeId },
        event: (updated) => ({
          definition: Events.TaskAssigned,
          payload: {
            taskId: task.id,
            assigneeId: data.assigneeId,
            previousAssigneeId: task.assigneeId,
            version: updated.version,
          },
        }),
      };
    });
  }

  async delete(context: RpcContext, data: DeleteTaskData): Promise<TaskDeleted> {
    const { affectedUserIds } = await this.change(
      context,
      TaskRpc.delete.pattern,
      data,
      data.id,
      data.version,
      'live',
      (task) => ({
        set: { deletedAt: new Date() },
        event: (updated) => ({
          definition: Events.TaskDeleted,
          payload: { taskId: task.id, deletedAt: updated.deletedAt!.toISOString(), version: updated.version },
        }),
      }),
    );
    return { ok: true, affectedUserIds };
  }

  /** A live task the actor can see answers `conflict TASK.NOT_DELETED`. */
  restore(context: RpcContext, data: TaskIdData): Promise<TaskChange> {
    return this.change(context, TaskRpc.restore.pattern, data, data.id, undefined, 'deleted', (task) => ({
      set: { deletedAt: null },
      event: (updated) => ({ definition: Events.TaskRestored, payload: { taskId: task.id, version: updated.version } }),
    }));
  }

  async list(context: RpcContext, query: ListTasksQuery): Promise<TaskPage> {
    const actor = requireActor(context);
    const { items, nextCursor } = await this.options.tasks.transaction(actor, 'replica', (manager) =>
      this.options.tasks.listPage(manager, actor, query),
    );
    return { items: items.map(toTaskView), nextCursor };
  }

  /** Numbers over the non-deleted tasks `userId` created or is assigned to (the seed's `task:stats` key). */
  async stats(context: RpcContext, query: TaskStatsQuery): Promise<TaskStats> {
    const actor = requireActor(context);
    const userId = query.userId ?? actor.id;
    if (userId !== actor.id && !isAdmin(actor))
      throw forbidden('Only an admin may read the statistics of another user.');
    const rows = await this.options.tasks.transaction(actor, 'replica', (manager) =>
      this.options.tasks.countsFor(manager, userId),
    );
    const stats: TaskStats = {
      total: 0,
      byStatus: Object.fromEntries(TASK_STATUSES.map((status) => [status, 0])) as TaskStats['byStatus'],
      byPriority: Object.fromEntries(TASK_PRIORITIES.map((priority) => [priority, 0])) as TaskStats['byPriority'],
      overdue: 0,
    };
    for (const row of rows) {
      stats.total += row.total;
      stats.byStatus[row.status] += row.total;
      stats.byPriority[row.priority] += row.total;
      stats.overdue += row.overdue;
    }
    return stats;
  }

  /**
   * Lock, authorise, check the version, apply `decide`'s change, append its event — one transaction. Answers
   * the task and the users whose views it was or is in (creator and assignee, before and after), so the
   * caller invalidates from the data written, not from who asked.
   */
  private async change(
    context: RpcContext,
    operation: string,
    data: object,
    id: string,
    expectedVersion: number | undefined,
    state: 'live' | 'deleted',
    decide: (task: Task) => Change | null,
  ): Promise<TaskChange> {
    const actor = requireActor(context);
    return this.write(context, operation, data, withAffectedUsers, async (manager) => {
      const current = await this.options.tasks.findById(manager, id, { lock: true });
      if (!current || !canAccess(actor, current)) throw taskNotFound(id);
      if ((current.deletedAt === null) !== (state === 'live')) {
        if (state === 'deleted') throw notDeleted(id);
        throw taskNotFound(id);
      }
      if (expectedVersion !== undefined && current.version !== expectedVersion) {
        throw versionConflict(id, current.version);
      }
      const change = decide(current);
      if (!change) return { task: current, before: current };

      const updated = await this.options.tasks.update(manager, current, change.set);
      // The row lock makes this unreachable today; the guard keeps lost updates impossible if that changes.
      if (!updated) throw versionConflict(id, current.version + 1);
      return { task: updated, before: current, event: change.event(updated) };
    });
  }

  /**
   * One transaction: `work`, its event in the outbox, and the Idempotency-Key with the answer when one is given
   * (so a retry gets the same answer, `affectedUserIds` included). `answer` shapes the reply from the task written
   * and the task as it was before.
   */
  private async write<R>(
    context: RpcContext,
    operation: string,
    data: object,
    answer: (task: Task, before?: Task) => R,
    work: (manager: EntityManager) => Promise<{ task: Task; before?: Task; event?: DefinedEvent }>,
  ): Promise<R> {
    const actor = requireActor(context);
    const keyed = idempotentRequest(context, operation, data);
    return this.options.tasks.transaction(actor, 'primary', (manager) =>
      this.options.idempotency.once(manager, keyed, async () => {
        const { task, before, event } = await work(manager);
        if (event) {
          await this.options.outbox.append(manager, eventContextOf(context, actor.id), { ...event, entityId: task.id });
        }
        return answer(task, before);
      }),
    );
  }
}

/** The reply to a change: the task, and every user whose views it touched (creator and assignee, before and after). */
function withAffectedUsers(task: Task, before?: Task): TaskChange {
  const affected = [before?.creatorId, before?.assigneeId, task.creatorId, task.assigneeId];
  return {
    ...toTaskView(task),
    affectedUserIds: [...new Set(affected.filter((userId): userId is string => !!userId))],
  };
}

function requireActor(context: RpcContext): Actor {
  if (!context.actor) throw unauthenticated();
  return context.actor;
}

function sameValue(next: unknown, current: unknown): boolean {
  if (current instanceof Date && next instanceof Date) return current.getTime() === next.getTime();
  return next === current;
}
