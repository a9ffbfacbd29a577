import { Injectable } from '@nestjs/common';
import { CacheIndex, CacheKeys, CacheResult, CacheStore, CacheTtl, hashOf } from '@taskflow/cache';
import {
  canAccessTask,
  hasPermission,
  RpcContext,
  TaskChange,
  TaskDeleted,
  TaskErrorCodes,
  TaskPage,
  TaskRpc,
  TaskStats,
  RpcDefinition,
  TaskView,
} from '@taskflow/contracts';
import { AppError } from '@taskflow/nest-kit';
import { AuthUser } from '../auth/auth.decorators';
import { ifMatchVersions } from '../http/http-caching';
import { ServiceClients } from '../infrastructure/service-clients';
import { PagePosition, parsePageCursor, withPageCursor } from './page-cursor';
import { ListTasksQueryDto, SearchTasksQueryDto } from './tasks.dto';

/** A cached page with the task-service cursor it answers. */
interface CachedPage {
  cursor: string | null;
  page: TaskPage;
}

export interface Cached<T> {
  value: T;
  cache: CacheResult;
}

/** Task operations through task-service with the seed's read cache in front and invalidation after writes. */
/** The task writes that take an expected version (If-Match or the body's `version`). */
export type VersionedTaskWrite = RpcDefinition<{ id: string; version?: number }, TaskChange | TaskDeleted>;

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
      () => this.clients.tasks.call(TaskRpc.get, { id }, context),
      { accept: (task) => canAccessTask(user, task), prefetched },
    );
  }

  async create(data: object, user: AuthUser, context: RpcContext): Promise<TaskView> {
    const task = await this.clients.tasks.call(TaskRpc.create, data, context);
    await this.cache.invalidateTask(task.id, [task.creatorId, task.assigneeId, user.id]);
    return task;
  }

  /**
   * A versioned write: the expected version comes from If-Match (a mismatch is 412) or from the
   * body's `version` (stale is 409 with the current version); neither is 428 (RFC 6585). If-Match may list
   * several tags (RFC 9110 §13.1.1): the write expects the current version when it is one of them. `*` writes
   * whatever the version is. A malformed If-Match is 400 (ifMatchVersions). The views
   * invalidated are those of the users the service says the task was or is with (creator and
   * assignees before and after), whoever made the change.
   */
  async write(
    rpc: VersionedTaskWrite,
    id: string,
    body: { version?: number } & object,
    ifMatch: string | undefined,
    user: AuthUser,
    context: RpcContext,
    versionRequired = true,
  ): Promise<TaskView | undefined> {
    const precondition = ifMatchVersions(ifMatch);
    let version = body.version;
    if (Array.isArray(precondition)) {
      if (precondition.length === 0) throw preconditionFailed();
      version =
        precondition.length === 1 ? precondition[0] : await this.listedCurrentVersion(id, precondition, user, context);
    } else if (precondition === 'any') version = (await this.get(id, user, context)).value.version;
    if (version === undefined && versionRequired) {
      throw new AppError(
        'precondition_required',
        'TASK.PRECONDITION_REQUIRED',
        'Send If-Match with the ETag you read, or the version in the body.',
        [{ field: 'version', reason: 'version is required unless an If-Match header is sent' }],
      );
    }
    let result: TaskChange | TaskDeleted | undefined;
    try {
      result = await this.clients.tasks.call(rpc, { ...body, id, version }, context);
    } catch (error) {
      if (Array.isArray(precondition) && error instanceof AppError && error.code === TaskErrorCodes.versionConflict) {
        throw preconditionFailed(error.details);
      }
      throw error;
    } finally {
      // Also after a failure: a conflict means our cached copy may be stale.
      await this.cache.invalidateTask(id, [user.id, ...(result?.affectedUserIds ?? [])]);
    }
    return 'id' in result ? viewOf(result) : undefined;
  }

  /**
   * The task's current version when If-Match lists it, else 412 with `currentVersion`. Read through the cache: a
   * write that has moved on since makes the service answer a version conflict, which `write` turns into 412.
   */
  private async listedCurrentVersion(id: string, listed: number[], user: AuthUser, context: RpcContext) {
    const current = (await this.get(id, user, context)).value.version;
    if (!listed.includes(current)) throw preconditionFailed({ currentVersion: current });
    return current;
  }

  async restore(id: string, user: AuthUser, context: RpcContext): Promise<TaskView> {
    const change = await this.clients.tasks.call(TaskRpc.restore, { id }, context);
    await this.cache.invalidateTask(id, [user.id, ...change.affectedUserIds]);
    return viewOf(change);
  }

  /**
   * Every page is cached. A plain list (at most one status, default sort and size) is the seed's
   * `task:list:user:{userId}:status:{status}:page:{page}`; a list with any other filter is a search
   * over the user's tasks and is cached like one. Page numbers: see `page-cursor.ts`.
   */
  list(query: ListTasksQueryDto, user: AuthUser, context: RpcContext): Promise<Cached<TaskPage>> {
    const { cursor, ...filters } = query;
    const position = parsePageCursor(cursor);
    const { status, ...rest } = filters;
    const plain = Object.values(rest).every((value) => value === undefined) && (status?.length ?? 0) <= 1;
    const key = plain
      ? CacheKeys.taskList(user.id, status?.[0] ?? 'all', position.page)
      : CacheKeys.taskSearch(this.queryHash('list', filters, user), position.page);
    return this.page(key, plain ? CacheTtl.taskList : CacheTtl.taskSearch, position, user, (serviceCursor) =>
      this.clients.tasks.call(TaskRpc.list, { ...filters, cursor: serviceCursor }, context),
    );
  }

  search(query: SearchTasksQueryDto, user: AuthUser, context: RpcContext): Promise<Cached<TaskPage>> {
    const { cursor, ...filters } = query;
    const position = parsePageCursor(cursor);
    const key = CacheKeys.taskSearch(this.queryHash('search', filters, user), position.page);
    return this.page(key, CacheTtl.taskSearch, position, user, (serviceCursor) =>
      this.clients.tasks.call(TaskRpc.list, { ...filters, cursor: serviceCursor }, context),
    );
  }

  stats(user: AuthUser, context: RpcContext): Promise<Cached<TaskStats>> {
    return this.cache.readThrough(
      CacheKeys.taskStats(user.id),
      CacheTtl.taskStats,
      () => this.clients.tasks.call(TaskRpc.stats, {}, context),
      { index: () => (hasPermission(user.role, 'task:all') ? { owner: 'global' } : undefined) },
    );
  }

  /** Seed "Cache Warming": what a user asks for right after login. Best effort. */
  async warm(user: AuthUser, context: RpcContext): Promise<void> {
    await Promise.allSettled([this.list({}, user, context), this.stats(user, context)]);
  }

  /** One page read through `key`; the cached copy is served only for the task-service cursor it was loaded with. */
  private async page(
    key: string,
    ttlSeconds: number,
    position: PagePosition,
    user: AuthUser,
    load: (cursor: string | undefined) => Promise<TaskPage>,
  ): Promise<Cached<TaskPage>> {
    const cursor = position.cursor ?? null;
    const { value, cache } = await this.cache.readThrough<CachedPage>(
      key,
      ttlSeconds,
      async () => ({ cursor, page: await load(position.cursor) }),
      { index: (cached) => this.indexOf(user, cached.page), accept: (cached) => cached.cursor === cursor },
    );
    return { value: withPageCursor(value.page, position), cache };
  }

  /** The hash covers the requester and role too, so one user's results are never served to another. */
  private queryHash(endpoint: 'list' | 'search', filters: object, user: AuthUser): string {
    return hashOf({ endpoint, requester: user.id, role: user.role, ...filters });
  }

  private indexOf(user: AuthUser, page: TaskPage): CacheIndex {
    if (hasPermission(user.role, 'task:all')) return { owner: 'global' };
    return { owner: user.id, taskIds: page.items.map((task) => task.id) };
  }
}

/** The task without the service's invalidation hint, which is no part of the HTTP resource. */
function viewOf({ affectedUserIds: _, ...task }: TaskChange): TaskView {
  return task;
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
