import { Injectable } from '@nestjs/common';
import { CacheIndex, CacheKeys, CacheResult, CacheStore, CacheTtl, hashOf, isUnavailable } from '@taskflow/cache';
import { RpcContext, TaskErrorCodes, TaskPage, TaskPatterns, TaskStats, TaskView } from '@taskflow/contracts';
import { AppError } from '@taskflow/nest-kit';
import { AuthUser } from '../auth/auth.decorators';
import { ifMatchVersion } from '../http/http-caching';
import { ServiceClients } from '../infrastructure/service-clients';
import { ListTasksQueryDto, SearchTasksQueryDto } from './tasks.dto';

export interface Cached<T> {
  value: T;
  cache: CacheResult;
}

/** Mirrors task-service's rule (creator, assignee, admin); used only to decide whether a cached copy may be served. */
export function canSee(task: TaskView, user: AuthUser): boolean {
  return user.role === 'admin' || task.creatorId === user.id || task.assigneeId === user.id;
}

/** Task operations through task-service with the seed's read cache in front and invalidation after writes. */
@Injectable()
export class TasksService {
  constructor(
    private readonly clients: ServiceClients,
    private readonly cache: CacheStore,
  ) {}

  /**
   * `task:{id}` holds the task whoever asked first, so a cached copy is served only after the same
   * visibility check the service makes; otherwise the service decides (and answers 404).
   */
  get(id: string, user: AuthUser, context: RpcContext, prefetched?: string | null): Promise<Cached<TaskView>> {
    return this.cache.readThrough(
      CacheKeys.task(id),
      CacheTtl.task,
      () => this.clients.tasks.send<TaskView>(TaskPatterns.get, { id }, context),
      { accept: (task) => canSee(task, user), prefetched },
    );
  }

  async create(data: object, user: AuthUser, context: RpcContext): Promise<TaskView> {
    const task = await this.clients.tasks.send<TaskView>(TaskPatterns.create, data, context);
    await this.cache.invalidateTask(task.id, [task.creatorId, task.assigneeId, user.id]);
    return task;
  }

  /**
   * A versioned write: the expected version comes from If-Match (a mismatch is 412) or from the
   * body's `version` (stale is 409 with the current version).
   */
  async write(
    pattern: string,
    id: string,
    body: { version?: number } & object,
    ifMatch: string | undefined,
    user: AuthUser,
    context: RpcContext,
    versionRequired = true,
  ): Promise<TaskView | undefined> {
    const precondition = ifMatchVersion(ifMatch);
    if (precondition === 'unmatchable') throw preconditionFailed();
    const previous = await this.cache.get<TaskView>(CacheKeys.task(id));
    let version = typeof precondition === 'number' ? precondition : body.version;
    if (precondition === 'any') version = (await this.get(id, user, context)).value.version;
    if (version === undefined && versionRequired) {
      throw new AppError('validation', 'REQUEST.VALIDATION_FAILED', 'The request is invalid.', [
        { field: 'version', reason: 'version is required unless an If-Match header is sent' },
      ]);
    }
    let result: TaskView | { ok: true } | undefined;
    try {
      result = await this.clients.tasks.send<TaskView | { ok: true }>(pattern, { ...body, id, version }, context);
    } catch (error) {
      if (
        typeof precondition === 'number' &&
        error instanceof AppError &&
        error.code === TaskErrorCodes.versionConflict
      ) {
        throw preconditionFailed(error.details);
      }
      throw error;
    } finally {
      // Also after a failure: a conflict means our cached copy may be stale.
      const before = previous && !isUnavailable(previous) ? previous : undefined;
      const after = result && 'id' in result ? result : undefined;
      await this.cache.invalidateTask(id, [
        user.id,
        before?.creatorId,
        before?.assigneeId,
        after?.creatorId,
        after?.assigneeId,
      ]);
    }
    return 'id' in result ? result : undefined;
  }

  async restore(id: string, user: AuthUser, context: RpcContext): Promise<TaskView> {
    const task = await this.clients.tasks.send<TaskView>(TaskPatterns.restore, { id }, context);
    await this.cache.invalidateTask(id, [user.id, task.creatorId, task.assigneeId]);
    return task;
  }

  /** Only the plain first page (no filter but status, default sort) has a seed key; the rest goes straight through. */
  list(query: ListTasksQueryDto, user: AuthUser, context: RpcContext): Promise<Cached<TaskPage>> {
    const load = () => this.clients.tasks.send<TaskPage>(TaskPatterns.list, { ...query }, context);
    const { status, ...rest } = query;
    const plain = Object.values(rest).every((value) => value === undefined) && (status?.length ?? 0) <= 1;
    if (!plain) return load().then((value) => ({ value, cache: 'bypass' as const }));
    const key = CacheKeys.taskList(user.id, status?.[0] ?? 'all', 1);
    return this.cache.readThrough(key, CacheTtl.taskList, load, { index: (page) => this.indexOf(user, page) });
  }

  /** The query hash includes the requester, so one user's results are never served to another. */
  search(query: SearchTasksQueryDto, user: AuthUser, context: RpcContext): Promise<Cached<TaskPage>> {
    const load = () => this.clients.tasks.send<TaskPage>(TaskPatterns.list, { ...query }, context);
    const { cursor, ...rest } = query;
    if (cursor) return load().then((value) => ({ value, cache: 'bypass' as const }));
    const key = CacheKeys.taskSearch(hashOf({ requester: user.id, role: user.role, ...rest }), 1);
    return this.cache.readThrough(key, CacheTtl.taskSearch, load, { index: (page) => this.indexOf(user, page) });
  }

  stats(user: AuthUser, context: RpcContext): Promise<Cached<TaskStats>> {
    return this.cache.readThrough(
      CacheKeys.taskStats(user.id),
      CacheTtl.taskStats,
      () => this.clients.tasks.send<TaskStats>(TaskPatterns.stats, {}, context),
      { index: () => (user.role === 'admin' ? { owner: 'global' } : undefined) },
    );
  }

  /** Seed "Cache Warming": what a user asks for right after login. Best effort. */
  async warm(user: AuthUser, context: RpcContext): Promise<void> {
    await Promise.allSettled([this.list({}, user, context), this.stats(user, context)]);
  }

  private indexOf(user: AuthUser, page: TaskPage): CacheIndex {
    return user.role === 'admin' ? { owner: 'global' } : { owner: user.id, taskIds: page.items.map((task) => task.id) };
  }
}

function preconditionFailed(details?: Record<string, unknown>): AppError {
  return new AppError(
    'precondition_failed',
    'TASK.PRECONDITION_FAILED',
    'The task has changed since the version in If-Match.',
    undefined,
    details,
  );
}
