import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, MicroserviceOptions, Payload, Transport } from '@nestjs/microservices';
import {
  CommonErrorCodes,
  RpcContext,
  TaskErrorCodes,
  TaskRpc,
  TaskStats,
  TaskChange,
  TaskView,
  UserErrorCodes,
  UserRpc,
  UserView,
} from '@taskflow/contracts';
import { AppError, createLogger, RPC_AUDIENCE, RpcErrorFilter } from '@taskflow/nest-kit';
import { randomUUID } from 'node:crypto';
import { callerVerifier, freePort } from '@taskflow/testing';

/** A request as it arrives, with the context the fake derives from its credential (as the services do). */
type FakeRequest<T> = { context: RpcContext & { credential?: string }; data: T };

/**
 * In-memory test double of user-service and task-service on one TCP port: same patterns, same
 * authorisation rule (creator, assignee or admin; anything else is TASK.NOT_FOUND) and the same
 * optimistic locking, so the gateway can be tested before (and independently of) the real services.
 */
export class FakeBackend {
  readonly users = new Map<string, UserView & { password: string }>();
  readonly tasks = new Map<string, TaskView>();
  readonly calls = new Map<string, number>();
  latencyMs = 0;
  private readonly callers = [callerVerifier(RPC_AUDIENCE.user), callerVerifier(RPC_AUDIENCE.task)];

  count(pattern: string): number {
    return this.calls.get(pattern) ?? 0;
  }

  async handle<T>(pattern: string, request: FakeRequest<Record<string, unknown>>, fn: () => T): Promise<T> {
    this.calls.set(pattern, this.count(pattern) + 1);
    const { credential, ...facts } = request.context;
    const caller = credential && this.callers.map((verifier) => verifier.verify(credential)).find(Boolean);
    if (!caller)
      throw new AppError('unauthorized', CommonErrorCodes.credentialInvalid, 'The call carries no valid credential.');
    request.context = { ...facts, actor: caller.actor, sessionId: caller.sessionId };
    if (this.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    return fn();
  }

  visibleTask(id: unknown, request: FakeRequest<unknown>, includeDeleted = false): TaskView {
    const task = this.tasks.get(String(id));
    const actor = request.context.actor;
    const visible =
      task &&
      actor &&
      (actor.role === 'admin' || task.creatorId === actor.id || task.assigneeId === actor.id) &&
      (includeDeleted || task.deletedAt === null);
    if (!visible) throw new AppError('not_found', TaskErrorCodes.notFound, 'Task not found.');
    return task;
  }

  checkVersion(task: TaskView, version: unknown): void {
    if (version !== undefined && version !== task.version) {
      throw new AppError(
        'conflict',
        TaskErrorCodes.versionConflict,
        'The task was changed by someone else.',
        undefined,
        {
          currentVersion: task.version,
        },
      );
    }
  }

  /** Stores the changed task; answers it like task-service, with the users it was and is with. */
  bump(task: TaskView, changes: Partial<TaskView>): TaskChange {
    const next = { ...task, ...changes, version: task.version + 1, updatedAt: new Date().toISOString() };
    this.tasks.set(task.id, next);
    const affected = [task.creatorId, task.assigneeId, next.assigneeId].filter((id): id is string => !!id);
    return { ...next, affectedUserIds: [...new Set(affected)] };
  }
}

const publicUser = ({ password: _, ...user }: UserView & { password: string }): UserView => user;

function controllerFor(backend: FakeBackend) {
  type Req = FakeRequest<Record<string, unknown>>;
  @Controller()
  class FakeController {
    @MessagePattern(UserRpc.register.pattern)
    register(@Payload() r: Req) {
      return backend.handle(UserRpc.register.pattern, r, () => {
        const email = String(r.data.email).toLowerCase();
        if ([...backend.users.values()].some((u) => u.email === email)) {
          throw new AppError('conflict', UserErrorCodes.emailTaken, 'Email taken.');
        }
        const now = new Date().toISOString();
        const user = {
          id: randomUUID(),
          email,
          role: 'user' as const,
          profile: (r.data.profile as object) ?? {},
          createdAt: now,
          updatedAt: now,
          password: String(r.data.password),
        };
        backend.users.set(user.id, user);
        return publicUser(user);
      });
    }

    @MessagePattern(UserRpc.authenticate.pattern)
    authenticate(@Payload() r: Req) {
      return backend.handle(UserRpc.authenticate.pattern, r, () => {
        const user = [...backend.users.values()].find((u) => u.email === String(r.data.email).toLowerCase());
        if (!user || user.password !== r.data.password) {
          throw new AppError('unauthorized', UserErrorCodes.invalidCredentials, 'Invalid credentials.');
        }
        return publicUser(user);
      });
    }

    @MessagePattern(UserRpc.recordLogout.pattern)
    logout(@Payload() r: Req) {
      return backend.handle(UserRpc.recordLogout.pattern, r, () => ({ ok: true }));
    }

    @MessagePattern(UserRpc.getById.pattern)
    getById(@Payload() r: Req) {
      return backend.handle(UserRpc.getById.pattern, r, () => {
        const user = backend.users.get(String(r.data.id));
        if (!user) throw new AppError('not_found', UserErrorCodes.notFound, 'User not found.');
        return publicUser(user);
      });
    }

    @MessagePattern(UserRpc.updateProfile.pattern)
    updateProfile(@Payload() r: Req) {
      return backend.handle(UserRpc.updateProfile.pattern, r, () => {
        const user = backend.users.get(String(r.data.userId))!;
        user.profile = { ...user.profile, ...(r.data.profile as object) };
        return publicUser(user);
      });
    }

    @MessagePattern(UserRpc.changeRole.pattern)
    changeRole(@Payload() r: Req) {
      return backend.handle(UserRpc.changeRole.pattern, r, () => {
        if (r.context.actor?.role !== 'admin')
          throw new AppError('forbidden', UserErrorCodes.forbidden, 'Admins only.');
        const user = backend.users.get(String(r.data.userId));
        if (!user) throw new AppError('not_found', UserErrorCodes.notFound, 'User not found.');
        user.role = r.data.role as UserView['role'];
        return publicUser(user);
      });
    }

    @MessagePattern(UserRpc.list.pattern)
    listUsers(@Payload() r: Req) {
      return backend.handle(UserRpc.list.pattern, r, () => {
        const items = [...backend.users.values()].map(publicUser);
        return { items, total: items.length, page: 1, limit: 20 };
      });
    }

    @MessagePattern(TaskRpc.create.pattern)
    create(@Payload() r: Req) {
      return backend.handle(TaskRpc.create.pattern, r, () => {
        const now = new Date().toISOString();
        const task: TaskView = {
          id: randomUUID(),
          title: String(r.data.title),
          description: (r.data.description as string) ?? null,
          status: (r.data.status as TaskView['status']) ?? 'todo',
          priority: (r.data.priority as TaskView['priority']) ?? 'medium',
          assigneeId: (r.data.assigneeId as string) ?? null,
          creatorId: r.context.actor!.id,
          dueDate: (r.data.dueDate as string) ?? null,
          completedAt: null,
          deletedAt: null,
          createdAt: now,
          updatedAt: now,
          version: 1,
        };
        backend.tasks.set(task.id, task);
        return task;
      });
    }

    @MessagePattern(TaskRpc.get.pattern)
    get(@Payload() r: Req) {
      return backend.handle(TaskRpc.get.pattern, r, () => backend.visibleTask(r.data.id, r));
    }

    @MessagePattern(TaskRpc.update.pattern)
    update(@Payload() r: Req) {
      return backend.handle(TaskRpc.update.pattern, r, () => {
        const task = backend.visibleTask(r.data.id, r);
        backend.checkVersion(task, r.data.version);
        const { id: _id, version: _v, ...changes } = r.data;
        return backend.bump(task, changes as Partial<TaskView>);
      });
    }

    @MessagePattern(TaskRpc.changeStatus.pattern)
    changeStatus(@Payload() r: Req) {
      return backend.handle(TaskRpc.changeStatus.pattern, r, () => {
        const task = backend.visibleTask(r.data.id, r);
        backend.checkVersion(task, r.data.version);
        return backend.bump(task, { status: r.data.status as TaskView['status'] });
      });
    }

    @MessagePattern(TaskRpc.assign.pattern)
    assign(@Payload() r: Req) {
      return backend.handle(TaskRpc.assign.pattern, r, () => {
        const task = backend.visibleTask(r.data.id, r);
        backend.checkVersion(task, r.data.version);
        return backend.bump(task, { assigneeId: (r.data.assigneeId as string) ?? null });
      });
    }

    @MessagePattern(TaskRpc.delete.pattern)
    remove(@Payload() r: Req) {
      return backend.handle(TaskRpc.delete.pattern, r, () => {
        const task = backend.visibleTask(r.data.id, r);
        backend.checkVersion(task, r.data.version);
        const { affectedUserIds } = backend.bump(task, { deletedAt: new Date().toISOString() });
        return { ok: true, affectedUserIds };
      });
    }

    @MessagePattern(TaskRpc.restore.pattern)
    restore(@Payload() r: Req) {
      return backend.handle(TaskRpc.restore.pattern, r, () => {
        const task = backend.visibleTask(r.data.id, r, true);
        return backend.bump(task, { deletedAt: null });
      });
    }

    @MessagePattern(TaskRpc.list.pattern)
    list(@Payload() r: Req) {
      return backend.handle(TaskRpc.list.pattern, r, () => {
        const statuses = r.data.status as string[] | undefined;
        const q = r.data.q as string | undefined;
        const items = [...backend.tasks.values()]
          .filter((task) => {
            try {
              backend.visibleTask(task.id, r);
              return true;
            } catch {
              return false;
            }
          })
          .filter((task) => !statuses || statuses.includes(task.status))
          .filter((task) => !q || task.title.toLowerCase().includes(q.toLowerCase()))
          .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
        // Offset cursors (the real service uses keysets): enough to walk pages through the gateway.
        const offset = r.data.cursor === undefined ? 0 : Number(Buffer.from(String(r.data.cursor), 'base64url'));
        if (!Number.isInteger(offset) || offset < 0) {
          throw new AppError('validation', 'TASK.INVALID_CURSOR', 'The cursor is invalid.');
        }
        const limit = Number(r.data.limit ?? 20);
        const more = items.length > offset + limit;
        return {
          items: items.slice(offset, offset + limit),
          nextCursor: more ? Buffer.from(String(offset + limit)).toString('base64url') : null,
        };
      });
    }

    @MessagePattern(TaskRpc.stats.pattern)
    stats(@Payload() r: Req) {
      return backend.handle(TaskRpc.stats.pattern, r, (): TaskStats => {
        const mine = [...backend.tasks.values()].filter(
          (t) => t.deletedAt === null && (t.creatorId === r.context.actor?.id || t.assigneeId === r.context.actor?.id),
        );
        const byStatus = { todo: 0, in_progress: 0, review: 0, done: 0 };
        const byPriority = { low: 0, medium: 0, high: 0, urgent: 0 };
        for (const t of mine) {
          byStatus[t.status]++;
          byPriority[t.priority]++;
        }
        return { total: mine.length, byStatus, byPriority, overdue: 0 };
      });
    }
  }
  return FakeController;
}

/** Starts the fake on a free port; `close()` stops it. */
export async function startFakeBackend(): Promise<{ backend: FakeBackend; port: number; close: () => Promise<void> }> {
  const backend = new FakeBackend();
  const port = await freePort();
  @Module({ controllers: [controllerFor(backend)] })
  class FakeModule {}
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(FakeModule, {
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port },
    logger: false,
  });
  app.useGlobalFilters(new RpcErrorFilter(createLogger('fake-backend', 'silent')));
  await app.listen();
  return { backend, port, close: () => app.close() };
}
