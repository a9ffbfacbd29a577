import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `users` of seed 001, with three deliberate changes:
 * - role `auditor` added to `user_role` (read access to the audit API);
 * - case-insensitive uniqueness through `idx_users_email_lower` next to the seed's `idx_users_email`
 *   (the inline UNIQUE of the seed would only duplicate `idx_users_email`), plus an email format CHECK;
 * - `created_at`/`updated_at` NOT NULL: an audit timestamp without a value is a bug.
 * The GIN indexes are built without CONCURRENTLY: the table is created empty in this same transaction.
 */
export class CreateUsers1767225600000 implements MigrationInterface {
  name = 'CreateUsers1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE "user_role" AS ENUM ('user', 'admin', 'auditor')`);
    await queryRunner.query(`
      CREATE TABLE "users" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "email" varchar(255) NOT NULL,
        "password_hash" varchar(255) NOT NULL,
        "role" "user_role" NOT NULL DEFAULT 'user',
        "profile" jsonb,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_users" PRIMARY KEY ("id"),
        CONSTRAINT "chk_users_email_format" CHECK ("email" ~* '^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$')
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "idx_users_email" ON "users" ("email")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "idx_users_email_lower" ON "users" (lower("email"))`);
    await queryRunner.query(`CREATE INDEX "idx_users_role" ON "users" ("role")`);
    await queryRunner.query(`CREATE INDEX "idx_users_created_at" ON "users" ("created_at")`);
    await queryRunner.query(
      `CREATE INDEX "idx_users_profile_first_name" ON "users" USING GIN ((profile->'firstName'))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_users_profile_last_name" ON "users" USING GIN ((profile->'lastName'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "users"`);
    await queryRunner.query(`DROP TYPE "user_role"`);
  }
}
