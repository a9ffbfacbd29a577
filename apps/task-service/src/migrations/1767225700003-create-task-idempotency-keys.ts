import { idempotencyTableSql } from '@taskflow/idempotency';
import { MigrationInterface, QueryRunner } from 'typeorm';

export const TASK_IDEMPOTENCY_TABLE = 'task_idempotency_keys';

/** Idempotency-Keys of task writes, recorded with the write; its DDL belongs to @taskflow/idempotency. */
export class CreateTaskIdempotencyKeys1767225700003 implements MigrationInterface {
  name = 'CreateTaskIdempotencyKeys1767225700003';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of idempotencyTableSql(TASK_IDEMPOTENCY_TABLE).up) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of idempotencyTableSql(TASK_IDEMPOTENCY_TABLE).down) await queryRunner.query(statement);
  }
}
