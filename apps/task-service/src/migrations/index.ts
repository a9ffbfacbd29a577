import { CreateTasks1767225700000 } from './1767225700000-create-tasks';
import { CreateTaskQueryIndexes1767225700001 } from './1767225700001-create-task-query-indexes';
import { CreateTaskOutbox1767225700002 } from './1767225700002-create-task-outbox';
import { CreateTaskIdempotencyKeys1767225700003 } from './1767225700003-create-task-idempotency-keys';
import { EnableTaskRowLevelSecurity1767225700004 } from './1767225700004-enable-task-row-level-security';

export { TASK_OUTBOX_TABLE } from './1767225700002-create-task-outbox';
export { TASK_IDEMPOTENCY_TABLE } from './1767225700003-create-task-idempotency-keys';

/** Every migration of task-service, oldest first. The newest one is the schema version this code needs. */
export const TASK_MIGRATIONS = [
  CreateTasks1767225700000,
  CreateTaskQueryIndexes1767225700001,
  CreateTaskOutbox1767225700002,
  CreateTaskIdempotencyKeys1767225700003,
  EnableTaskRowLevelSecurity1767225700004,
];
export const TASK_MIGRATIONS_TABLE = 'task_migrations';
