import { EventEnvelope, ListTasksQuery, RpcContext, TaskErrorCodes } from '@taskflow/contracts';
import { IdempotencyRecords } from '@taskflow/idempotency';
import { TransactionalOutbox } from '@taskflow/outbox';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Actor, canAccess, Task } from '../domain/task';
import { NewTask, TaskChanges, TaskCount, TaskRepository, TaskSlice } from './task.repository';
import { TaskService } from './task.service';

/**
 * TaskRepository in memory: a transaction works on a copy of the tasks and keeps it only when `work` succeeds, and
 * the outbox rows `appendToOutbox` writes through the transaction's manager are kept the same way.
 */
class InMemoryTaskRepository extends TaskRepository {
  tasks = new Map<string, Task>();
  events: EventEnvelope<Record<string, unknown>>[] = [];
  /** Set to make the next `update` lose the race (another transaction bumped the version first). */
  loseNextRace = false;
  private open?: { tasks: Map<string, Task>; events: EventEnvelope<Record<string, unknown>>[] };

  async transaction<T>(_actor: Actor, _target: 'primary' | 'replica', work: (manager: EntityManager) => Promise<T>) {
    const open = { tasks: new Map(this.tasks), events: [] as EventEnvelope<Record<string, unknown>>[] };
    this.open = open;
    const manager = {
      queryRunner: { isTransactionActive: true, data: {} },
      query: async (_sql: string, params: unknown[]) => {
        open.events.push(JSON.parse(String(params[4])));
        return [];
      },
    } as unknown as EntityManager;
    const result = await work(manager);
    this.tasks = open.tasks;
    this.events.push(...open.events);
    return result;
  }

  async findById(_manager: EntityManager, id: string): Promise<Task | null> {
    return this.current().get(id) ?? null;
  }

  async insert(_manager: EntityManager, task: NewTask): Promise<Task> {
    const now = new Date();
    // The migration's defaults for what the request left out.
    const created: Task = {
      description: null,
      status: 'todo',
      priority: 'medium',
      assigneeId: null,
      dueDate: null,
      ...task,
      id: randomUUID(),
      createdAt: now,
      updatedAt: now,
      completedAt: task.status === 'done' ? now : null,
      deletedAt: null,
      version: 1,
    };
    this.current().set(created.id, created);
    return created;
  }

  async update(_manager: EntityManager, current: Task, changes: TaskChanges): Promise<Task | null> {
    const stored = this.current().get(current.id);
    if (this.loseNextRace || !stored || stored.version !== current.version) {
      this.loseNextRace = false;
      return null;
    }
    const updated = { ...stored, ...changes, version: stored.version + 1, updatedAt: new Date() };
    this.current().set(updated.id, updated);
    return updated;
  }

  async listPage(_manager: EntityManager, actor: Actor, query: ListTasksQuery): Promise<TaskSlice> {
    const visible = [...this.current().values()].filter((task) => task.deletedAt === null && canAccess(actor, task));
    return { items: visible.slice(0, query.limit), nextCursor: null };
  }

  async countsFor(_manager: EntityManager, userId: string): Promise<TaskCount[]> {
    return [...this.current().values()]
      .filter((task) => task.deletedAt === null && (task.creatorId === userId || task.assigneeId === userId))
      .map((task) => ({ status: task.status, priority: task.priority, total: 1, overdue: 0 }));
  }

  private current(): Map<string, Task> {
    if (!this.open) throw new Error('outside a transaction');
    return this.open.tasks;
  }
}

const alice = { id: randomUUID(), role: 'user' as const };
const bob = { id: randomUUID(), role: 'user' as const };
const carol = { id: randomUUID(), role: 'user' as const };
const admin = { id: randomUUID(), role: 'admin' as const };
const as = (actor: RpcContext['actor']): RpcContext => ({ actor, correlationId: 'unit' });

describe('TaskService (use cases against an in-memory TaskRepository)', () => {
  let repository: InMemoryTaskRepository;
  let service: TaskService;

  beforeEach(() => {
    repository = new InMemoryTaskRepository();
    service = new TaskService({
      tasks: repository,
      outbox: new TransactionalOutbox('task_outbox'),
      // No Idempotency-Key in these calls: `once` runs the work without touching its table.
      idempotency: new IdempotencyRecords({ table: 'task_idempotency_keys', retentionMs: 60_000 }),
    });
  });

  /** A task by `creator`, optionally assigned, as stored (its created event forgotten). */
  async function given(creator: typeof alice, assignee?: typeof bob): Promise<Task> {
    const view = await service.create(as(creator), { title: 'Write the spec', assigneeId: assignee?.id });
    repository.events = [];
    return repository.tasks.get(view.id)!;
  }

  it('should create a task owned by the actor and append task.created in the same transaction', async () => {
    const view = await service.create(as(alice), { title: 'Plan', priority: 'high' });
    expect(view).toMatchObject({ title: 'Plan', priority: 'high', status: 'todo', creatorId: alice.id, version: 1 });
    expect(repository.events).toEqual([
      expect.objectContaining({ type: 'task.created', entityId: view.id, actorId: alice.id, correlationId: 'unit' }),
    ]);
  });

  it("should answer not_found for a task outside the actor's view, and show it to its assignee and an admin", async () => {
    const task = await given(alice, bob);
    await expect(service.get(as(carol), { id: task.id })).rejects.toMatchObject({ code: TaskErrorCodes.notFound });
    await expect(service.get(as(bob), { id: task.id })).resolves.toMatchObject({ id: task.id });
    await expect(service.get(as(admin), { id: task.id })).resolves.toMatchObject({ id: task.id });
  });

  it('should refuse a change by a user who cannot see the task, writing nothing', async () => {
    const task = await given(alice);
    await expect(service.update(as(carol), { id: task.id, version: 1, title: 'Mine now' })).rejects.toMatchObject({
      code: TaskErrorCodes.notFound,
    });
    expect(repository.tasks.get(task.id)).toEqual(task);
    expect(repository.events).toEqual([]);
  });

  it('should answer 409 with the current version for a stale version, writing nothing', async () => {
    const task = await given(alice);
    await service.update(as(alice), { id: task.id, version: 1, title: 'Second' });
    repository.events = [];
    await expect(service.update(as(alice), { id: task.id, version: 1, title: 'Third' })).rejects.toMatchObject({
      kind: 'conflict',
      code: TaskErrorCodes.versionConflict,
      details: { currentVersion: 2 },
    });
    expect(repository.tasks.get(task.id)).toMatchObject({ title: 'Second', version: 2 });
    expect(repository.events).toEqual([]);
  });

  it('should answer 409 when the conditional update loses a race after the version check', async () => {
    const task = await given(alice);
    repository.loseNextRace = true;
    await expect(service.update(as(alice), { id: task.id, version: 1, title: 'Lost' })).rejects.toMatchObject({
      code: TaskErrorCodes.versionConflict,
    });
    expect(repository.events).toEqual([]);
  });

  it('should write no event and keep the version for a change that changes nothing', async () => {
    const task = await given(alice);
    const answer = await service.update(as(alice), { id: task.id, version: 1, title: task.title, priority: 'medium' });
    expect(answer).toMatchObject({ version: 1, affectedUserIds: [alice.id] });
    await service.changeStatus(as(alice), { id: task.id, version: 1, status: 'todo' });
    expect(repository.events).toEqual([]);
  });

  it('should name only the fields that changed in task.updated and bump the version once', async () => {
    const task = await given(alice);
    const answer = await service.update(as(alice), {
      id: task.id,
      version: 1,
      title: task.title,
      description: 'now with a description',
      dueDate: '2031-01-01T10:00:00+02:00',
    });
    expect(answer).toMatchObject({ version: 2, dueDate: '2031-01-01T08:00:00.000Z' });
    expect(repository.events).toEqual([
      expect.objectContaining({
        type: 'task.updated',
        payload: expect.objectContaining({ changedFields: ['description', 'dueDate'] }),
      }),
    ]);
  });

  it('should set completedAt on done and clear it when the task is reopened', async () => {
    const task = await given(alice);
    const done = await service.changeStatus(as(alice), { id: task.id, version: 1, status: 'done' });
    expect(done.completedAt).not.toBeNull();
    const reopened = await service.changeStatus(as(alice), { id: task.id, version: 2, status: 'review' });
    expect(reopened).toMatchObject({ status: 'review', completedAt: null, version: 3 });
  });

  it('should forbid an assignee who did not create the task to give it away, and let its creator', async () => {
    const task = await given(alice, bob);
    await expect(service.assign(as(bob), { id: task.id, version: 1, assigneeId: carol.id })).rejects.toMatchObject({
      kind: 'forbidden',
      code: TaskErrorCodes.forbidden,
    });
    expect(repository.events).toEqual([]);

    const answer = await service.assign(as(alice), { id: task.id, version: 1, assigneeId: carol.id });
    expect(answer).toMatchObject({ assigneeId: carol.id, version: 2 });
    // Bob loses the task from his views, Carol gains it: both, and the creator, are affected.
    expect(new Set(answer.affectedUserIds)).toEqual(new Set([alice.id, bob.id, carol.id]));
    expect(repository.events).toEqual([
      expect.objectContaining({
        type: 'task.assigned',
        payload: expect.objectContaining({ assigneeId: carol.id, previousAssigneeId: bob.id }),
      }),
    ]);
  });

  it("should name the creator and assignee when an admin deletes someone's task, and hide it afterwards", async () => {
    const task = await given(alice, bob);
    const answer = await service.delete(as(admin), { id: task.id });
    expect(answer).toEqual({ ok: true, affectedUserIds: expect.arrayContaining([alice.id, bob.id]) });
    expect(answer.affectedUserIds).toHaveLength(2);
    await expect(service.get(as(alice), { id: task.id })).rejects.toMatchObject({ code: TaskErrorCodes.notFound });
    await expect(service.update(as(alice), { id: task.id, version: 2, title: 'x' })).rejects.toMatchObject({
      code: TaskErrorCodes.notFound,
    });
  });

  it('should answer conflict TASK.NOT_DELETED for the restore of a live task, and restore a deleted one', async () => {
    const task = await given(alice);
    await expect(service.restore(as(alice), { id: task.id })).rejects.toMatchObject({
      kind: 'conflict',
      code: TaskErrorCodes.notDeleted,
    });
    await service.delete(as(alice), { id: task.id });
    await expect(service.restore(as(alice), { id: task.id })).resolves.toMatchObject({ deletedAt: null, version: 3 });
    await expect(service.restore(as(carol), { id: task.id })).rejects.toMatchObject({
      code: TaskErrorCodes.notFound,
    });
  });

  it("should let only an admin read another user's statistics", async () => {
    await given(alice, bob);
    await expect(service.stats(as(bob), { userId: alice.id })).rejects.toMatchObject({
      code: TaskErrorCodes.forbidden,
    });
    await expect(service.stats(as(admin), { userId: alice.id })).resolves.toMatchObject({
      total: 1,
      byStatus: { todo: 1, in_progress: 0, review: 0, done: 0 },
    });
  });

  it('should refuse reads and writes without an actor', async () => {
    const task = await given(alice);
    await expect(service.list({}, {})).rejects.toMatchObject({ code: TaskErrorCodes.unauthenticated });
    await expect(service.get({}, { id: task.id })).rejects.toMatchObject({ code: TaskErrorCodes.unauthenticated });
    await expect(service.create({}, { title: 'x' })).rejects.toMatchObject({ code: TaskErrorCodes.unauthenticated });
  });
});
