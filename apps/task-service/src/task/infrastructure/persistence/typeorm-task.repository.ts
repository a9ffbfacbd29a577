import type { ListTasksQuery } from '@taskflow/contracts';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { inActorTransaction } from '../../../database/actor-transaction';
import { invalidCursor, invalidDueDate, unknownUser } from '../../application/task.errors';
import { NewTask, TaskChanges, TaskCount, TaskRepository, TaskSlice } from '../../application/task.repository';
import { Actor, Task } from '../../domain/task';
import { buildListSql, encodeCursor } from './list-tasks.sql';
import { TaskRow, toTask } from './task.mapper';
import { TaskOrmEntity } from './task.orm-entity';

/**
 * The TypeORM adapter of {@link TaskRepository}: SQL over `tasks`. Transactions start in `inActorTransaction`
 * (row-level security actor). Updates go through the query builder on `TaskOrmEntity`, whose columns are the one
 * field → column mapping; `version` is guarded by `WHERE version = $n`, which `@VersionColumn` + `save()` would not do.
 */
export class TypeOrmTaskRepository extends TaskRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  transaction<T>(
    actor: Actor,
    target: 'primary' | 'replica',
    work: (manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    return inActorTransaction(this.dataSource, actor, target, work);
  }

  async findById(manager: EntityManager, id: string, { lock = false } = {}): Promise<Task | null> {
    const [row] = await manager.query(`SELECT * FROM tasks WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return row ? toTask(row as TaskRow) : null;
  }

  async insert(manager: EntityManager, task: NewTask): Promise<Task> {
    const result = await manager
      .createQueryBuilder()
      .insert()
      .into(TaskOrmEntity)
      .values({
        ...(task as QueryDeepPartialEntity<TaskOrmEntity>),
        // The database's clock, as for created_at: chk_task_completion and the due-date check compare them.
        ...(task.status === 'done' ? { completedAt: () => 'now()' } : {}),
      })
      .returning('*')
      .execute()
      .catch(rethrowAsTaskError);
    return toTask(result.raw[0] as TaskRow);
  }

  async update(manager: EntityManager, current: Task, changes: TaskChanges): Promise<Task | null> {
    const result = await manager
      .createQueryBuilder()
      .update(TaskOrmEntity)
      .set({
        ...(changes as QueryDeepPartialEntity<TaskOrmEntity>),
        version: () => 'version + 1',
        updatedAt: () => 'now()',
      })
      .where({ id: current.id, version: current.version })
      .returning('*')
      .execute()
      .catch(rethrowAsTaskError);
    return result.affected === 1 ? toTask(result.raw[0] as TaskRow) : null;
  }

  async listPage(manager: EntityManager, actor: Actor, query: ListTasksQuery): Promise<TaskSlice> {
    const { sql, params, limit, sort, order } = buildListSql(actor, query);
    const rows: (TaskRow & { sort_key: string; id: string })[] = await manager
      .query(sql, params)
      .catch((error: unknown) => {
        // Every input but the cursor's sort key is validated before SQL; a key PostgreSQL cannot cast
        // (a forged cursor) is a data exception (SQLSTATE class 22), a client error rather than a 503.
        if (query.cursor && sqlState(error)?.startsWith('22')) throw invalidCursor();
        throw error;
      });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => toTask(row)),
      nextCursor:
        rows.length > limit && last ? encodeCursor({ s: sort, o: order, k: last.sort_key, id: last.id }) : null,
    };
  }

  countsFor(manager: EntityManager, userId: string): Promise<TaskCount[]> {
    return manager.query(
      `SELECT status, priority, count(*)::int AS total,
              count(*) FILTER (WHERE due_date < now() AND status <> 'done')::int AS overdue
       FROM tasks WHERE deleted_at IS NULL AND (creator_id = $1 OR assignee_id = $1)
       GROUP BY status, priority`,
      [userId],
    );
  }
}

function sqlState(error: unknown): string | undefined {
  return error instanceof QueryFailedError ? (error.driverError as { code?: string }).code : undefined;
}

/** The task errors of a refused write: a missing user (23503, naming the field) or a due date too early (23514). */
function rethrowAsTaskError(error: unknown): never {
  const constraint = error instanceof QueryFailedError && (error.driverError as { constraint?: string }).constraint;
  if (sqlState(error) === '23503') throw unknownUser(constraint === 'fk_tasks_creator' ? 'creatorId' : 'assigneeId');
  if (sqlState(error) === '23514' && constraint === 'chk_due_date_future') throw invalidDueDate();
  throw error;
}
