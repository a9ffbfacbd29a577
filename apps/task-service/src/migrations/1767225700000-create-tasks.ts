import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `tasks` of seed 001 with its enums, CHECK constraints and the first block of indexes. Deliberate changes:
 * `created_at`/`updated_at` NOT NULL (an audit timestamp without a value is a bug) and named foreign keys.
 * Needs `users` (user-service migrations) in the same database.
 */
export class CreateTasks1767225700000 implements MigrationInterface {
  name = 'CreateTasks1767225700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE "task_status" AS ENUM ('todo', 'in_progress', 'review', 'done')`);
    await queryRunner.query(`CREATE TYPE "task_priority" AS ENUM ('low', 'medium', 'high', 'urgent')`);
    await queryRunner.query(`
      CREATE TABLE "tasks" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "title" varchar(255) NOT NULL,
        "description" text,
        "status" "task_status" NOT NULL DEFAULT 'todo',
        "priority" "task_priority" NOT NULL DEFAULT 'medium',
        "assignee_id" uuid,
        "creator_id" uuid NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "completed_at" TIMESTAMP WITH TIME ZONE,
        "due_date" TIMESTAMP WITH TIME ZONE,
        "deleted_at" TIMESTAMP WITH TIME ZONE,
        "version" integer NOT NULL DEFAULT 1,
        CONSTRAINT "pk_tasks" PRIMARY KEY ("id"),
        CONSTRAINT "chk_task_title_length" CHECK (char_length("title") >= 1),
        CONSTRAINT "chk_task_completion" CHECK (
          ("status" = 'done' AND "completed_at" IS NOT NULL) OR ("status" != 'done' AND "completed_at" IS NULL)),
        CONSTRAINT "chk_due_date_future" CHECK ("due_date" IS NULL OR "due_date" > "created_at"),
        CONSTRAINT "chk_version_positive" CHECK ("version" > 0),
        CONSTRAINT "fk_tasks_assignee" FOREIGN KEY ("assignee_id") REFERENCES "users"("id"),
        CONSTRAINT "fk_tasks_creator" FOREIGN KEY ("creator_id") REFERENCES "users"("id")
      )`);
    await queryRunner.query(`CREATE INDEX "idx_tasks_status_priority" ON "tasks" ("status", "priority")`);
    await queryRunner.query(`CREATE INDEX "idx_tasks_assignee" ON "tasks" ("assignee_id")`);
    await queryRunner.query(`CREATE INDEX "idx_tasks_creator" ON "tasks" ("creator_id")`);
    await queryRunner.query(`CREATE INDEX "idx_tasks_created_at" ON "tasks" ("created_at" DESC)`);
    await queryRunner.query(`CREATE INDEX "idx_tasks_due_date" ON "tasks" ("due_date") WHERE due_date IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "idx_tasks_deleted_at" ON "tasks" ("deleted_at") WHERE deleted_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "tasks"`);
    await queryRunner.query(`DROP TYPE "task_priority"`);
    await queryRunner.query(`DROP TYPE "task_status"`);
  }
}
