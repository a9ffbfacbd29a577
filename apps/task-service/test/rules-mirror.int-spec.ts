import { canAccessTask, isTaskOverdue, RpcContext, TaskPage, TaskRpc, TaskStats, TaskView } from '@taskflow/contracts';
import { DataSource } from 'typeorm';
import { createScratchDatabase, insertUser, openDataSource, ScratchDatabase } from './fixtures/database';
import { RunningService, startService } from './fixtures/service';

jest.setTimeout(60_000);

// The SQL that restates a contract rule (libs/contracts rules/task-rules.ts) — the list query's visibility filter,
// its `overdue` filter and the stats' overdue count — checked against the rule itself on every combination of
// creator, assignee, due date and status.
describe('SQL mirrors of the task rules (real PostgreSQL)', () => {
  let scratch: ScratchDatabase;
  let owner: DataSource;
  let runtime: DataSource;
  let service: RunningService;
  const actors: Record<'alice' | 'bob' | 'admin', RpcContext['actor'] & object> = {} as never;
  let tasks: TaskView[];

  const as = (actor: RpcContext['actor']) => ({
    list: (query: object) => service.send<TaskPage>(TaskRpc.list.pattern, { actor }, { limit: 100, ...query }),
    stats: () => service.send<TaskStats>(TaskRpc.stats.pattern, { actor }, {}),
  });
  const ids = (items: { id: string }[]) => items.map((item) => item.id).sort();

  beforeAll(async () => {
    scratch = await createScratchDatabase('task_rules_it');
    await scratch.migrate();
    owner = await openDataSource(scratch.config);
    actors.alice = { id: await insertUser(owner), role: 'user' };
    actors.bob = { id: await insertUser(owner), role: 'user' };
    actors.admin = { id: await insertUser(owner, 'admin'), role: 'admin' };
    const { alice, bob } = actors;
    for (const creator of [alice, bob]) {
      for (const assignee of [null, alice, bob]) {
        for (const due of ['past', 'future', null]) {
          for (const status of ['todo', 'done']) {
            // Created ten days ago, so a due date in the past still satisfies chk_due_date_future.
            await owner.query(
              `INSERT INTO tasks (title, status, creator_id, assignee_id, due_date, created_at, completed_at)
               VALUES ($1, $2::task_status, $3, $4, now() + $5::interval, now() - interval '10 days',
                       CASE WHEN $2::task_status = 'done' THEN now() END)`,
              [
                `${status} due ${due}`,
                status,
                creator.id,
                assignee?.id ?? null,
                due === null ? null : due === 'past' ? '-1 day' : '1 day',
              ],
            );
          }
        }
      }
    }
    runtime = await openDataSource(scratch.serviceConfig);
    service = await startService(scratch.config, runtime, ['127.0.0.1:1']);
    tasks = (await as(actors.admin).list({})).items;
    expect(tasks).toHaveLength(36);
  });

  afterAll(async () => {
    await service?.close();
    await runtime?.destroy();
    await owner?.destroy();
    await scratch?.drop();
  });

  const overdue = (task: TaskView, now: Date) =>
    isTaskOverdue({ dueDate: task.dueDate === null ? null : new Date(task.dueDate), status: task.status }, now);

  it.each(['alice', 'bob', 'admin'] as const)(
    'should list for %s exactly the tasks canAccessTask allows',
    async (name) => {
      const actor = actors[name];
      expect(ids((await as(actor).list({})).items)).toEqual(ids(tasks.filter((task) => canAccessTask(actor, task))));
    },
  );

  it.each(['alice', 'bob', 'admin'] as const)(
    'should filter overdue=true and overdue=false for %s exactly as isTaskOverdue says',
    async (name) => {
      const actor = actors[name];
      const now = new Date();
      const visible = tasks.filter((task) => canAccessTask(actor, task));
      expect(ids((await as(actor).list({ overdue: true })).items)).toEqual(ids(visible.filter((t) => overdue(t, now))));
      expect(ids((await as(actor).list({ overdue: false })).items)).toEqual(
        ids(visible.filter((t) => !overdue(t, now))),
      );
    },
  );

  it.each(['alice', 'bob'] as const)(
    "should count %s's overdue tasks in the stats as isTaskOverdue says",
    async (name) => {
      const actor = actors[name];
      const mine = tasks.filter((task) => task.creatorId === actor.id || task.assigneeId === actor.id);
      const stats = await as(actor).stats();
      expect(stats.total).toBe(mine.length);
      expect(stats.overdue).toBe(mine.filter((task) => overdue(task, new Date())).length);
    },
  );
});
