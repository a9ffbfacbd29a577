import { idempotencyTableSql } from '@taskflow/idempotency';
import { MigrationInterface, QueryRunner } from 'typeorm';

export const USER_IDEMPOTENCY_TABLE = 'user_idempotency_keys';

/** Idempotency-Keys of user writes (registration), recorded with the write; DDL from @taskflow/idempotency. */
export class CreateUserIdempotencyKeys1767225600002 implements MigrationInterface {
  name = 'CreateUserIdempotencyKeys1767225600002';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of idempotencyTableSql(USER_IDEMPOTENCY_TABLE).up) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of idempotencyTableSql(USER_IDEMPOTENCY_TABLE).down) await queryRunner.query(statement);
  }
}
