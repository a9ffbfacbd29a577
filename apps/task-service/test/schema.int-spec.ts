import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { revertLastMigration } from '@taskflow/service-chassis';
import { assertSchemaCurrent, TASK_MIGRATION_SET } from '../src/database/data-source';
import { TASK_MIGRATIONS } from '../src/migrations';
import { createScratchDatabase, insertUser, openDataSource, ScratchDatabase } from './fixtures/database';

jest.setTimeout(60_000);

describe('tasks schema (real PostgreSQL)', () => {
  let scratch: ScratchDatabase;
  let dataSource: DataSource;
  let userId: string;

  beforeAll(async () => {
    scratch = await createScratchDatabase('task_schema_it');
    dataSource = await openDataSource(scratch.config);
    userId = await insertUser(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await scratch?.drop();
  });

  it('should refuse a schema older than the code', async () => {
    await expect(assertSchemaCurrent(dataSource)).rejects.toThrow(
      new RegExp(`schema is older than this code: ${TASK_MIGRATIONS.length} pending`),
    );
  });

  it('should apply, revert and re-apply every migration, leaving no schema diff with the entities', async () => {
    expect(await dataSource.runMigrations({ transaction: 'each' })).toHaveLength(TASK_MIGRATIONS.length);
    for (let i = 0; i < TASK_MIGRATIONS.length; i++) await revertLastMigration(dataSource, TASK_MIGRATION_SET);
    const [{ tables }] = await dataSource.query(
      `SELECT count(*)::int AS tables FROM pg_tables WHERE tablename IN ('tasks', 'task_outbox')`,
    );
    expect(tables).toBe(0);
    expect(await dataSource.runMigrations({ transaction: 'each' })).toHaveLength(TASK_MIGRATIONS.length);
    await expect(assertSchemaCurrent(dataSource)).resolves.toMatchObject({ pending: [] });

    const diff = await dataSource.driver.createSchemaBuilder().log();
    expect(diff.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('should have every index of seed 001, valid', async () => {
    const rows: { indexname: string }[] = await dataSource.query(
      `SELECT i.indexname FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname
       JOIN pg_index x ON x.indexrelid = c.oid WHERE i.tablename = 'tasks' AND x.indisvalid`,
    );
    expect(rows.map((row) => row.indexname).sort()).toEqual(
      [
        'idx_tasks_active',
        'idx_tasks_assignee',
        'idx_tasks_assignee_status',
        'idx_tasks_created_at',
        'idx_tasks_creator',
        'idx_tasks_creator_priority',
        'idx_tasks_deleted_at',
        'idx_tasks_due_date',
        'idx_tasks_overdue',
        'idx_tasks_status_created',
        'idx_tasks_status_priority',
        'pk_tasks',
      ].sort(),
    );
  });

  describe('constraints', () => {
    const insert = (columns: Record<string, unknown>) => {
      const row = { title: 'constraint probe', creator_id: userId, ...columns };
      const names = Object.keys(row);
      return dataSource.query(
        `INSERT INTO tasks (${names.map((name) => `"${name}"`).join(', ')})
         VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
        Object.values(row),
      );
    };

    it('should accept a valid row', async () => {
      await expect(insert({ status: 'done', completed_at: new Date() })).resolves.toBeDefined();
    });

    it.each([
      ['done without completed_at', { status: 'done' }, 'chk_task_completion'],
      ['completed_at while not done', { status: 'review', completed_at: new Date() }, 'chk_task_completion'],
      ['due date not after creation', { due_date: new Date(Date.now() - 60_000) }, 'chk_due_date_future'],
      ['version 0', { version: 0 }, 'chk_version_positive'],
      ['empty title', { title: '' }, 'chk_task_title_length'],
    ])('should reject %s (%s)', async (_, columns, constraint) => {
      await expect(insert(columns)).rejects.toMatchObject({ driverError: { constraint } });
    });

    it.each([
      ['an unknown creator', { creator_id: randomUUID() }, 'fk_tasks_creator'],
      ['an unknown assignee', { assignee_id: randomUUID() }, 'fk_tasks_assignee'],
    ])('should reject %s', async (_, columns, constraint) => {
      await expect(insert(columns)).rejects.toMatchObject({ driverError: { constraint } });
    });

    it('should reject a title over 255 characters and an unknown status', async () => {
      await expect(insert({ title: 'x'.repeat(256) })).rejects.toMatchObject({ driverError: { code: '22001' } });
      await expect(insert({ status: 'blocked' })).rejects.toMatchObject({ driverError: { code: '22P02' } });
    });
  });
});
