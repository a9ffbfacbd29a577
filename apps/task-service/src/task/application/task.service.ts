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
  toInstant,
  UpdateTaskData,
} from '@taskflow/contracts';
import { idempotentRequest, IdempotencyRecords } from '@taskflow/idempotency';
import { TransactionalOutbox } from '@taskflow/outbox';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { Actor, canAccess, completedAtFor, isAdmin, Task } from '../domain/task';
import { inActorTransaction } from '../../database/actor-transaction';
import { TaskRow, toSnapshot, toTask, toTaskView } from '../infrastructure/persistence/task.mapper';
import { buildListSql, encodeCursor } from './list-tasks.sql';
import {
  forbidden,
  invalidCursor,
  invalidDueDate,
  notDeleted,
  taskNotFound,
  unauthenticated,
  unknownUser,
  versionConflict,
} from './task.errors';

export interface TaskServiceOptions {
  dataSource: DataSource;
  /** The service's outbox table: each write appends its event there in its own transaction. */
  outbox: TransactionalOutbox;
  /** Where keyed writes (`context.idempotencyKey`) are recorded with their result. */
  idempotency: IdempotencyRecords;
  /** Called after each committed write, e.g. to wake the outbox relay. */
  afterCommit?: () => void;
}

interface Change {
  /** Column → new value; `version` and `updated_at` are maintained here. */
  set: Record<string, unknown>;
  event: (updated: Task) => DefinedEvent;
}

/**
 * Task use cases. Every write runs in one transaction that locks the row, checks access and the expected
 * version, updates with `WHERE version = $n` (and checks the affected rows), and appends its event to the
 * outbox; a write with an Idempotency-Key records the key and its result in the same transaction. Reads of lists and stats may go to a replica; single-task reads and all writes use the primary.
 * Every query runs in a transaction with the actor set (`inActorTransaction`), so `tasks`' row-level security
 * filters the rows a second time.
 */
export class TaskService {
  constructor(private readonly options: TaskServiceOptions) {}

  async create(context: RpcContext, data: CreateTaskData): Promise<TaskView> {
    const actor = requireActor(context);
    const status = data.status ?? 'todo';
    return this.write(context, TaskRpc.create.pattern, data, toTaskView, async (manager) => {
      const [row] = await manager.query(
        `INSERT INTO tasks (title, description, status, priority, assignee_id, creator_id, due_date, completed_at)
         VALUES ($1, $2, $3::task_status, $4::task_priority, $5, $6, $7, CASE WHEN $3::task_status = 'done' THEN now() END)
         RETURNING *`,
        [
          data.title,
          data.description ?? null,
          status,
          data.priority ?? 'medium',
          data.assigneeId ?? null,
          actor.id,
          data.dueDate ? toInstant(data.dueDate) : null,
        ],
      );
      const created = toTask(row as TaskRow);
      return { task: created, event: { definition: Events.TaskCreated, payload: { task: toSnapshot(created) } } };
    });
  }

  async get(context: RpcContext, data: TaskIdData): Promise<TaskView> {
    const actor = requireActor(context);
    const [row] = await inActorTransaction(this.options.dataSource, actor, 'primary', (manager) =>
      manager.query(`SELECT * FROM tasks WHERE id = $1 AND deleted_at IS NULL`, [data.id]),
    );
    if (!row || !canAccess(actor, toTask(row))) throw taskNotFound(data.id);
    return toTaskView(toTask(row));
  }

  update(context: RpcContext, data: UpdateTaskData): Promise<TaskChange> {
    return this.change(context, TaskRpc.update.pattern, data, data.id, data.version, 'live', (task) => {
      const set: Record<string, unknown> = {};
      const changed: string[] = [];
      const put = (field: string, column: string, next: unknown, current: unknown) => {
        if (next === undefined || sameValue(next, current)) return;
        set[column] = next;
        changed.push(field);
      };
      put('title', 'title', data.title, task.title);
      put('description', 'description', data.description, task.description);
      put('priority', 'priority', data.priority, task.priority);
      put('dueDate', 'due_date', data.dueDate ? toInstant(data.dueDate) : data.dueDate, task.dueDate);
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
        set: { status: data.status, completed_at: completedAtFor(data.status, task.completedAt, new Date()) },
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
        set: { assignee_id: data.assigneeId },
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
        set: { deleted_at: new Date() },
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
      set: { deleted_at: null },
      event: (updated) => ({ definition: Events.TaskRestored, payload: { taskId: task.id, version: updated.version } }),
    }));
  }

  async list(context: RpcContext, query: ListTasksQuery): Promise<TaskPage> {
    const actor = requireActor(context);
    const { sql, params, limit, sort, order } = buildListSql(actor, query);
    const rows: (TaskRow & { sort_key: string })[] = await this.read<(TaskRow & { sort_key: string })[]>(
      actor,
      sql,
      params,
    ).catch((error: unknown) => {
      // Every input but the cursor's sort key is validated before SQL; a key PostgreSQL cannot cast
      // (a forged cursor) is a data exception (SQLSTATE class 22), a client error rather than a 503.
      const code = error instanceof QueryFailedError ? (error.driverError as { code?: string }).code : undefined;
      if (query.cursor && code?.startsWith('22')) throw invalidCursor();
      throw error;
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => toTaskView(toTask(row))),
      nextCursor:
        rows.length > limit && last ? encodeCursor({ s: sort, o: order, k: last.sort_key, id: last.id }) : null,
    };
  }

  /** Numbers over the non-deleted tasks `userId` created or is assigned to (the seed's `task:stats` key). */
  async stats(context: RpcContext, query: TaskStatsQuery): Promise<TaskStats> {
    const actor = requireActor(context);
    const userId = query.userId ?? actor.id;
    if (userId !== actor.id && !isAdmin(actor))
      throw forbidden('Only an admin may read the statistics of another user.');
    const rows: { status: Task['status']; priority: Task['priority']; total: number; overdue: number }[] =
      await this.read(
        actor,
        `SELECT status, priority, count(*)::int AS total,
                count(*) FILTER (WHERE due_date < now() AND status <> 'done')::int AS overdue
         FROM tasks WHERE deleted_at IS NULL AND (creator_id = $1 OR assignee_id = $1)
         GROUP BY status, priority`,
        [userId],
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
      const [row] = await manager.query(`SELECT * FROM tasks WHERE id = $1 FOR UPDATE`, [id]);
      const current = row ? toTask(row as TaskRow) : undefined;
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

      const columns = Object.keys(change.set);
      const assignments = columns.map((column, i) => `"${column}" = $${i + 3}`);
      const result = await manager.queryRunner!.query(
        `UPDATE tasks SET ${[...assignments, 'version = version + 1', 'updated_at = now()'].join(', ')}
         WHERE id = $1 AND version = $2 RETURNING *`,
        [id, current.version, ...columns.map((column) => change.set[column])],
        true,
      );
      // The row lock makes this unreachable today; the guard keeps lost updates impossible if that changes.
      if (result.affected !== 1) throw versionConflict(id, current.version + 1);
      const updated = toTask(result.records[0] as TaskRow);
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
    let wrote = false;
    try {
      const view = await inActorTransaction(this.options.dataSource, actor, 'primary', (manager) =>
        this.options.idempotency.once(manager, keyed, async () => {
          const { task, before, event } = await work(manager);
          if (event) {
            await this.options.outbox.append(manager, eventContextOf(context, actor.id), {
              ...event,
              entityId: task.id,
            });
            wrote = true;
          }
          return answer(task, before);
        }),
      );
      if (wrote) this.options.afterCommit?.();
      return view;
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }

  /** A read that may go to a replica, as `actor` (row-level security). */
  private read<T>(actor: Actor, sql: string, params: unknown[]): Promise<T> {
    return inActorTransaction(this.options.dataSource, actor, 'replica', (manager) => manager.query(sql, params));
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
  if (current instanceof Date && typeof next === 'string') return current.getTime() === new Date(next).getTime();
  return next === current;
}

function translateDatabaseError(error: unknown): unknown {
  if (!(error instanceof QueryFailedError)) return error;
  const driverError = error.driverError as { code?: string; constraint?: string };
  if (driverError.code === '23503') {
    return unknownUser(driverError.constraint === 'fk_tasks_creator' ? 'creatorId' : 'assigneeId');
  }
  if (driverError.code === '23514' && driverError.constraint === 'chk_due_date_future') return invalidDueDate();
  return error;
}
