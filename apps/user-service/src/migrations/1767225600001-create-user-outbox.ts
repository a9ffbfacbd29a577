import { outboxTableSql } from '@taskflow/outbox';
import { MigrationInterface, QueryRunner } from 'typeorm';

export const USER_OUTBOX_TABLE = 'user_outbox';

/** The transactional outbox of user events; its DDL belongs to @taskflow/outbox so the relay and table agree. */
export class CreateUserOutbox1767225600001 implements MigrationInterface {
  name = 'CreateUserOutbox1767225600001';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of outboxTableSql(USER_OUTBOX_TABLE).up) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of outboxTableSql(USER_OUTBOX_TABLE).down) await queryRunner.query(statement);
  }
}
