/**
 * Generates 100,000 tasks in a scratch database and prints the EXPLAIN ANALYZE plans of the list queries the
 * API runs (the SQL comes from the service's own query builder), so index use can be checked by eye.
 * Usage: npx nx run task-service:explain-plans   (DATABASE_URL points at the server; the database is dropped)
 */
import 'reflect-metadata';
import { ListTasksQuery } from '@taskflow/contracts';
import { buildListSql } from '../src/task/infrastructure/persistence/list-tasks.sql';
import { Actor } from '../src/task/domain/task';
import { createScratchDatabase, openDataSource, testConfig } from '../test/fixtures/database';

const TASKS = Number(process.env.EXPLAIN_TASKS ?? 100_000);
const USERS = 500;

async function main(): Promise<void> {
  const scratch = await createScratchDatabase('task_explain');
  const dataSource = await openDataSource(testConfig(scratch.url, { DB_STATEMENT_TIMEOUT_MS: '0' }));
  try {
    await dataSource.runMigrations({ transaction: 'each' });
    await dataSource.query(
      `INSERT INTO users (email, password_hash) SELECT 'user' || i || '@example.test', 'x' FROM generate_series(1, $1) i`,
      [USERS],
    );
    const started = Date.now();
    // Statuses and priorities spread evenly; creation over the last year; a third without due date, ~2% past due.
    await dataSource.query(
      `WITH u AS (SELECT array_agg(id ORDER BY id) AS ids FROM users),
       g AS (SELECT i, now() - (random() * interval '365 days') AS created,
                    (ARRAY['todo','in_progress','review','done'])[1 + (i % 4)]::task_status AS status
             FROM generate_series(1, $1) i)
       INSERT INTO tasks (title, description, status, priority, assignee_id, creator_id, created_at, updated_at,
                          completed_at, due_date)
       SELECT 'Task ' || i, 'Generated task number ' || i, g.status,
              (ARRAY['low','medium','high','urgent'])[1 + (i / 4 % 4)]::task_priority,
              CASE WHEN i % 5 = 0 THEN NULL ELSE u.ids[1 + (i * 7) % $2] END,
              u.ids[1 + (i * 13) % $2], g.created, g.created,
              CASE WHEN g.status = 'done' THEN g.created + interval '1 day' END,
              CASE WHEN i % 3 = 0 THEN NULL
                   WHEN i % 50 = 1 THEN g.created + interval '1 minute'
                   ELSE now() + random() * interval '90 days' END
       FROM g, u`,
      [TASKS, USERS],
    );
    await dataSource.query('ANALYZE tasks');
    const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM tasks`);
    const [{ id: someone }] = await dataSource.query(
      `SELECT assignee_id AS id FROM tasks WHERE assignee_id IS NOT NULL LIMIT 1`,
    );
    console.log(`generated ${count} tasks for ${USERS} users in ${Date.now() - started} ms\n`);

    const admin: Actor = { id: someone, role: 'admin' };
    const user: Actor = { id: someone, role: 'user' };
    const cases: [string, Actor, ListTasksQuery][] = [
      ['by assignee + status (admin)', admin, { assigneeId: someone, status: ['in_progress'] }],
      [
        'by assignee + status (the assignee, with the visibility rule)',
        user,
        { assigneeId: someone, status: ['in_progress'] },
      ],
      ['by status ordered by created_at desc (admin)', admin, { status: ['todo'], sort: 'createdAt', order: 'desc' }],
      ['overdue (admin)', admin, { overdue: true }],
      ['overdue (a user)', user, { overdue: true }],
    ];
    for (const [title, actor, query] of cases) {
      const { sql, params } = buildListSql(actor, query);
      const plan: { 'QUERY PLAN': string }[] = await dataSource.query(
        `EXPLAIN (ANALYZE, COSTS OFF, TIMING ON) ${sql}`,
        params,
      );
      console.log(`=== ${title}\n${sql}\n-- params ${JSON.stringify(params)}`);
      console.log(plan.map((row) => row['QUERY PLAN']).join('\n'), '\n');
    }
    const overdueCount = `SELECT count(*) FROM tasks WHERE deleted_at IS NULL AND due_date < now() AND status <> 'done'`;
    const plan: { 'QUERY PLAN': string }[] = await dataSource.query(`EXPLAIN (ANALYZE, COSTS OFF) ${overdueCount}`);
    console.log(`=== overdue count (stats, admin-wide)\n${overdueCount}`);
    console.log(plan.map((row) => row['QUERY PLAN']).join('\n'), '\n');
  } finally {
    await dataSource.destroy();
    await scratch.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
