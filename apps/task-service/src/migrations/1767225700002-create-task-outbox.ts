import { outboxTableSql } from '@taskflow/outbox';
import { MigrationInterface, QueryRunner } from 'typeorm';

export const TASK_OUTBOX_TABLE = 'task_outbox';

/** The transactional outbox of task events; its DDL belongs to @taskflow/outbox so the relay and table agree. */
export class CreateTaskOutbox1767225700002 implements MigrationInterface {
  name = 'CreateTaskOutbox1767225700002';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of outboxTableSql(TASK_OUTBOX_TABLE).up) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of outboxTableSql(TASK_OUTBOX_TABLE).down) await queryRunner.query(statement);
  }
}
