import { backoffMs } from './backoff';
import { outboxTableSql } from './outbox-sql';

describe('outboxTableSql', () => {
  it('should create the table with a unique event id and a partial pending index, and drop it', () => {
    const { up, down } = outboxTableSql('task_outbox');
    expect(up[0]).toContain('CONSTRAINT "uq_task_outbox_event_id" UNIQUE ("event_id")');
    expect(up[1]).toBe('CREATE INDEX "idx_task_outbox_pending" ON "task_outbox" ("created_at") WHERE sent_at IS NULL');
    expect(down.at(-1)).toBe('DROP TABLE "task_outbox"');
  });

  it('should reject a table name that is not a plain identifier', () => {
    expect(() => outboxTableSql('x"; DROP TABLE users; --')).toThrow(/invalid outbox table name/);
  });
});

describe('backoffMs', () => {
  it('should double per failure and stay under the cap', () => {
    const noJitter = () => 0.5;
    expect([1, 2, 3, 4].map((failures) => backoffMs(failures, 100, 1000, noJitter))).toEqual([100, 200, 400, 800]);
    expect(backoffMs(20, 100, 1000, noJitter)).toBe(1000);
    expect(backoffMs(20, 100, 1000, () => 1)).toBe(1200);
  });
});
