import { MigrationInterface, QueryRunner } from 'typeorm';

/** The actor of the transaction, set with `set_config(..., true)` by task-service; NULL when none is set. */
const ACTOR_ID = `nullif(current_setting('app.actor_id', true), '')::uuid`;
/** `canAccess` (task domain) in SQL: an admin sees all; a user the tasks they created or are assigned to. */
const VISIBLE = `((${ACTOR_ID} IS NOT NULL AND current_setting('app.actor_role', true) = 'admin')
    OR "creator_id" = ${ACTOR_ID} OR "assignee_id" = ${ACTOR_ID})`;

/**
 * Row-level security on `tasks` (seed 002 "Row-Level Security: user-specific data isolation"), a second wall
 * behind the service's own checks: in a transaction whose actor is set, the runtime role reads and changes only
 * the rows `canAccess` allows; with no actor it sees nothing. The owner (migrations, foreign-key checks) is not
 * subject to it (no FORCE: the services never connect as the owner).
 *
 * - SELECT and UPDATE: visible rows; an updated row must stay visible (PostgreSQL also checks the SELECT policy on
 *   the new row of an UPDATE that reads columns), as the domain requires.
 * - INSERT: only as the creator.
 * - No DELETE policy: tasks are soft-deleted; the runtime role cannot remove a row.
 */
export class EnableTaskRowLevelSecurity1767225700004 implements MigrationInterface {
  name = 'EnableTaskRowLevelSecurity1767225700004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "tasks" ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(`CREATE POLICY "tasks_select_visible" ON "tasks" FOR SELECT USING ${VISIBLE}`);
    await queryRunner.query(`CREATE POLICY "tasks_insert_as_creator" ON "tasks" FOR INSERT
      WITH CHECK ("creator_id" = ${ACTOR_ID})`);
    await queryRunner.query(`CREATE POLICY "tasks_update_visible" ON "tasks" FOR UPDATE
      USING ${VISIBLE} WITH CHECK ${VISIBLE}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP POLICY "tasks_update_visible" ON "tasks"`);
    await queryRunner.query(`DROP POLICY "tasks_insert_as_creator" ON "tasks"`);
    await queryRunner.query(`DROP POLICY "tasks_select_visible" ON "tasks"`);
    await queryRunner.query(`ALTER TABLE "tasks" DISABLE ROW LEVEL SECURITY`);
  }
}
