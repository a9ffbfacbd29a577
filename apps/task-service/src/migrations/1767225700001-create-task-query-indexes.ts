import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The "Performance Indexes" of seed 001, built CONCURRENTLY so a live `tasks` table keeps taking writes;
 * CONCURRENTLY cannot run inside a transaction, hence `transaction = false`. A failed concurrent build leaves
 * an INVALID index behind: `up` drops such leftovers first, so it can simply be run again.
 *
 * Seed deviation: its `idx_tasks_overdue ... WHERE due_date < CURRENT_TIMESTAMP` is rejected by PostgreSQL
 * (index predicates must be immutable). The index keeps the name and the immutable part of the predicate,
 * keyed on `due_date`, so `due_date < now() AND status <> 'done'` is an index range scan.
 */
export class CreateTaskQueryIndexes1767225700001 implements MigrationInterface {
  name = 'CreateTaskQueryIndexes1767225700001';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [name, definition] of TASK_QUERY_INDEXES) {
      await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "${name}"`);
      await queryRunner.query(`CREATE INDEX CONCURRENTLY "${name}" ON "tasks" ${definition}`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [name] of [...TASK_QUERY_INDEXES].reverse()) {
      await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "${name}"`);
    }
  }
}

const TASK_QUERY_INDEXES: [string, string][] = [
  ['idx_tasks_status_created', `("status", "created_at" DESC)`],
  ['idx_tasks_assignee_status', `("assignee_id", "status")`],
  ['idx_tasks_creator_priority', `("creator_id", "priority")`],
  ['idx_tasks_active', `("id") WHERE deleted_at IS NULL`],
  ['idx_tasks_overdue', `("due_date") WHERE due_date IS NOT NULL AND status <> 'done' AND deleted_at IS NULL`],
];
