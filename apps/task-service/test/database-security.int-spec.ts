import { IdempotencyRecords } from '@taskflow/idempotency';
import { DATABASE_ROLES } from '@taskflow/nest-kit';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TaskService } from '../src/task/application/task.service';
import { TypeOrmTaskRepository } from '../src/task/infrastructure/persistence/typeorm-task.repository';
import { Actor, canAccess } from '../src/task/domain/task';
import { inActorTransaction } from '../src/database/actor-transaction';
import { TASK_IDEMPOTENCY_TABLE, TASK_MIGRATIONS, TASK_OUTBOX_TABLE } from '../src/migrations';
import { infraDir, prepareServiceDatabase } from '@taskflow/infra';
import { createScratchDatabase as createPlainDatabase } from '@taskflow/testing';
import { TransactionalOutbox } from '@taskflow/outbox';
import { runMigrations } from '../src/migrate';
import {
  createScratchDatabase,
  insertUser,
  openDataSource,
  ScratchDatabase,
  testConfig,
  USERS_TABLE_SQL,
} from './fixtures/database';

jest.setTimeout(60_000);

/**
 * Issue 12: least privilege (finding 9) and row-level security on `tasks` (seed 002), against real PostgreSQL with
 * the roles as deployed: migrations by task-service's owner role, the service as its runtime role.
 */
describe('task-service database roles and row-level security (real PostgreSQL)', () => {
  let scratch: ScratchDatabase;
  /** The administrator (superuser): sets up and checks, sees every row. */
  let admin: DataSource;
  /** The runtime role, one connection: shows that an actor never outlives its transaction on a pooled connection. */
  let runtime: DataSource;
  const ids: Record<'alice' | 'bob' | 'carol' | 'root', string> = { alice: '', bob: '', carol: '', root: '' };
  /** Every task, by who created it and who is assigned. */
  const tasks: { id: string; creatorId: string; assigneeId: string | null }[] = [];

  const refused = (promise: Promise<unknown>) =>
    expect(promise).rejects.toMatchObject({ driverError: { code: '42501' } });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Query = (sql: string, params?: unknown[]) => Promise<any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const asActor = (actor: Actor, work: (query: Query) => Promise<any>) =>
    inActorTransaction(runtime, actor, 'primary', (manager) => work((sql, params) => manager.query(sql, params)));
  const visibleIds = async (actor: Actor): Promise<string[]> =>
    (await asActor(actor, (query) => query('SELECT id FROM tasks'))) // no WHERE: the policies alone filter
      .map((row: { id: string }) => row.id)
      .sort();

  beforeAll(async () => {
    scratch = await createScratchDatabase('task_security_it');
    await scratch.migrate();
    admin = await openDataSource(scratch.config);
    runtime = await openDataSource(testConfig(scratch.serviceConfig.db.url, { DB_POOL_MAX: '1' }));
    for (const name of ['alice', 'bob', 'carol'] as const) ids[name] = await insertUser(admin);
    ids.root = await insertUser(admin, 'admin');
    const pairs: [string, string | null][] = [
      [ids.alice, null],
      [ids.alice, ids.bob],
      [ids.bob, ids.alice],
      [ids.bob, null],
      [ids.carol, ids.bob],
      [ids.root, null],
    ];
    for (const [creatorId, assigneeId] of pairs) {
      const [row] = await admin.query(
        `INSERT INTO tasks (title, creator_id, assignee_id) VALUES ('case', $1, $2) RETURNING id`,
        [creatorId, assigneeId],
      );
      tasks.push({ id: row.id, creatorId, assigneeId });
    }
  });

  afterAll(async () => {
    await runtime?.destroy();
    await admin?.destroy();
    await scratch?.drop();
  });

  describe('least privilege', () => {
    it("should have run the migrations as task-service's owner role, and again find nothing to do", async () => {
      const owners: { tablename: string; tableowner: string }[] = await admin.query(
        `SELECT tablename, tableowner FROM pg_tables WHERE tablename = ANY($1) ORDER BY tablename`,
        [['tasks', 'task_migrations', TASK_OUTBOX_TABLE, TASK_IDEMPOTENCY_TABLE]],
      );
      expect(owners).toHaveLength(4);
      expect(owners.every((table) => table.tableowner === DATABASE_ROLES.task.owner)).toBe(true);
      const [{ applied }] = await admin.query(`SELECT count(*)::int AS applied FROM task_migrations`);
      expect(applied).toBe(TASK_MIGRATIONS.length);
      await expect(scratch.migrate()).resolves.toEqual([]);
    });

    it('should refuse DROP, ALTER, TRUNCATE and CREATE to the runtime role (42501)', async () => {
      const [{ user }] = await runtime.query('SELECT current_user AS user');
      expect(user).toBe(DATABASE_ROLES.task.runtime);
      await refused(runtime.query('DROP TABLE tasks'));
      await refused(runtime.query('DROP TABLE task_outbox'));
      await refused(runtime.query('ALTER TABLE tasks ADD COLUMN intruder int'));
      await refused(runtime.query('ALTER TABLE tasks DISABLE ROW LEVEL SECURITY'));
      await refused(runtime.query('DROP POLICY tasks_select_visible ON tasks'));
      await refused(runtime.query('TRUNCATE tasks'));
      await refused(runtime.query(`TRUNCATE ${TASK_OUTBOX_TABLE}`));
      await refused(runtime.query('CREATE TABLE intruder (id int)'));
      await refused(runtime.query('CREATE INDEX intruder ON tasks (title)'));
      await refused(runtime.query(`DELETE FROM task_migrations`));
      await expect(runtime.query('SELECT count(*) FROM task_migrations')).resolves.toHaveLength(1);
    });

    it("should refuse the runtime role user-service's tables, while the foreign keys still check against them", async () => {
      await refused(runtime.query('SELECT id FROM users'));
      await refused(runtime.query(`UPDATE users SET role = 'admin'`));
      await expect(
        asActor({ id: ids.alice, role: 'user' }, (query) =>
          query(`INSERT INTO tasks (title, creator_id, assignee_id) VALUES ('fk', $1, $2)`, [ids.alice, randomUUID()]),
        ),
      ).rejects.toMatchObject({ driverError: { code: '23503', constraint: 'fk_tasks_assignee' } });
    });

    it('should let the runtime role read and write its own tables', async () => {
      const alice = { id: ids.alice, role: 'user' as const };
      const [created] = await asActor(alice, (query) =>
        query(`INSERT INTO tasks (title, creator_id) VALUES ('crud', $1) RETURNING id`, [ids.alice]),
      );
      await asActor(alice, (query) => query(`UPDATE tasks SET title = 'crud 2' WHERE id = $1`, [created.id]));
      const [row] = await asActor(alice, (query) => query(`SELECT title FROM tasks WHERE id = $1`, [created.id]));
      expect(row).toEqual({ title: 'crud 2' });
      await runtime.query(
        `INSERT INTO ${TASK_OUTBOX_TABLE} (event_id, event_type, topic, message_key, payload) VALUES ($1, 'x', 'x', $2, '{}')`,
        [randomUUID(), created.id],
      );
      const deleted = await runtime.query(`DELETE FROM ${TASK_OUTBOX_TABLE} WHERE message_key = $1`, [created.id]);
      expect(deleted[1]).toBe(1);
      await admin.query(`DELETE FROM tasks WHERE id = $1`, [created.id]);
    });

    it('should grant the runtime role the tables a later migration creates (default privileges)', async () => {
      const owner = await openDataSource(testConfig(scratch.serviceConfig.db.migrationUrl));
      try {
        await owner.query('CREATE TABLE task_later (id int PRIMARY KEY)');
        await runtime.query('INSERT INTO task_later VALUES (1)');
        await expect(runtime.query('SELECT id FROM task_later')).resolves.toEqual([{ id: 1 }]);
        await refused(runtime.query('DROP TABLE task_later'));
        await owner.query('DROP TABLE task_later');
      } finally {
        await owner.destroy();
      }
    });
  });

  describe('row-level security on tasks', () => {
    const actors = (): [string, Actor][] => [
      ['a user (creator of some, assignee of one)', { id: ids.alice, role: 'user' }],
      ['another user', { id: ids.bob, role: 'user' }],
      ['a user with no task of their own', { id: randomUUID(), role: 'user' }],
      ['an admin', { id: ids.root, role: 'admin' }],
      ['an auditor', { id: ids.carol, role: 'auditor' }],
    ];

    it('should show each actor, with no WHERE clause, exactly the tasks canAccess allows (one rule, two walls)', async () => {
      for (const [label, actor] of actors()) {
        const expected = tasks
          .filter((task) => canAccess(actor, task))
          .map((task) => task.id)
          .sort();
        expect({ actor: label, ids: await visibleIds(actor) }).toEqual({ actor: label, ids: expected });
      }
      // The table of cases covers both sides of the rule.
      expect((await visibleIds({ id: ids.root, role: 'admin' })).length).toBe(tasks.length);
      expect((await visibleIds({ id: ids.alice, role: 'user' })).length).toBeLessThan(tasks.length);
    });

    it('should fail closed: no actor (outside any transaction, or after one on the same connection) sees no row', async () => {
      await expect(runtime.query('SELECT id FROM tasks')).resolves.toEqual([]);
      await visibleIds({ id: ids.root, role: 'admin' }); // sets an actor on the pool's only connection
      await expect(runtime.query('SELECT id FROM tasks')).resolves.toEqual([]);
      await expect(runtime.query(`SELECT count(*)::int AS n FROM tasks`)).resolves.toEqual([{ n: 0 }]);
      const [{ n }] = await admin.query(`SELECT count(*)::int AS n FROM tasks`);
      expect(n).toBe(tasks.length);
    });

    it('should not take the admin role without an actor id', async () => {
      const rows = await inActorTransaction(runtime, { id: ids.root, role: 'admin' }, 'primary', async (manager) => {
        await manager.query(`SELECT set_config('app.actor_id', '', true)`);
        return manager.query('SELECT id FROM tasks');
      });
      expect(rows).toEqual([]);
    });

    it("should let writes reach only the actor's rows: unfiltered UPDATE, no DELETE, INSERT only as the creator", async () => {
      const alice = { id: ids.alice, role: 'user' as const };
      await asActor(alice, (query) => query(`UPDATE tasks SET priority = 'urgent'`));
      const urgent: { id: string }[] = await admin.query(`SELECT id FROM tasks WHERE priority = 'urgent' ORDER BY id`);
      expect(urgent.map((row) => row.id)).toEqual(await visibleIds(alice));
      await admin.query(`UPDATE tasks SET priority = 'medium'`);

      const [, deleted] = await asActor(alice, (query) => query('DELETE FROM tasks'));
      expect(deleted).toBe(0);
      await refused(
        asActor(alice, (query) => query(`INSERT INTO tasks (title, creator_id) VALUES ('forged', $1)`, [ids.bob])),
      );
      await expect(runtime.query(`UPDATE tasks SET title = 'no actor'`)).resolves.toEqual([[], 0]);
    });

    it("should keep a changed task in its writer's view: the service answers 403, the policy refuses (42501)", async () => {
      const service = new TaskService({
        tasks: new TypeOrmTaskRepository(runtime),
        outbox: new TransactionalOutbox(TASK_OUTBOX_TABLE),
        idempotency: new IdempotencyRecords({ table: TASK_IDEMPOTENCY_TABLE, retentionMs: 86_400_000 }),
      });
      const alice = { id: ids.alice, role: 'user' as const };
      const bobsTaskForAlice = tasks.find((task) => task.creatorId === ids.bob && task.assigneeId === ids.alice)!;
      const [{ version }] = await admin.query(`SELECT version FROM tasks WHERE id = $1`, [bobsTaskForAlice.id]);
      await expect(
        service.assign({ actor: alice }, { id: bobsTaskForAlice.id, version, assigneeId: ids.carol }),
      ).rejects.toMatchObject({ kind: 'forbidden' });
      await refused(
        asActor(alice, (query) =>
          query(`UPDATE tasks SET assignee_id = $2 WHERE id = $1`, [bobsTaskForAlice.id, ids.carol]),
        ),
      );
      const [after] = await admin.query(`SELECT assignee_id, version FROM tasks WHERE id = $1`, [bobsTaskForAlice.id]);
      expect(after).toEqual({ assignee_id: ids.alice, version });
      // The creator may give it to anyone.
      const handedOver = await service.assign(
        { actor: { id: ids.bob, role: 'user' } },
        { id: bobsTaskForAlice.id, version, assigneeId: ids.carol },
      );
      expect(handedOver).toMatchObject({ assigneeId: ids.carol, version: version + 1 });
      await admin.query(`UPDATE tasks SET assignee_id = $2 WHERE id = $1`, [bobsTaskForAlice.id, ids.alice]);
    });
  });

  it('should hand a database migrated before the roles existed to the owner role, data intact', async () => {
    const legacy = await createPlainDatabase('task_legacy_it');
    try {
      // The old way: everything created and migrated by the administrator.
      const old = await openDataSource(testConfig(legacy.url));
      await old.query(USERS_TABLE_SQL);
      await old.runMigrations({ transaction: 'each' });
      const userId = await insertUser(old);
      const [task] = await old.query(`INSERT INTO tasks (title, creator_id) VALUES ('old', $1) RETURNING id`, [userId]);
      await old.destroy();

      const urls = await prepareServiceDatabase(legacy.url, infraDir());
      const config = testConfig(urls['task-service'].runtime, {
        DATABASE_MIGRATION_URL: urls['task-service'].owner,
      });
      await expect(runMigrations(config.db)).resolves.toEqual([]);
      const check = await openDataSource(testConfig(legacy.url));
      const owners: { name: string; owner: string }[] = await check.query(
        `SELECT tablename AS name, tableowner AS owner FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
      );
      await check.destroy();
      expect(owners).toEqual(
        expect.arrayContaining([
          { name: 'tasks', owner: DATABASE_ROLES.task.owner },
          { name: 'task_migrations', owner: DATABASE_ROLES.task.owner },
          { name: 'users', owner: DATABASE_ROLES.user.owner },
        ]),
      );
      const service = await openDataSource(config);
      try {
        const rows = await inActorTransaction(service, { id: userId, role: 'user' }, 'primary', (manager) =>
          manager.query('SELECT id FROM tasks'),
        );
        expect(rows).toEqual([{ id: task.id }]);
        await expect(service.query('DELETE FROM task_migrations')).rejects.toMatchObject({
          driverError: { code: '42501' },
        });
      } finally {
        await service.destroy();
      }
    } finally {
      await legacy.drop();
    }
  });
});
