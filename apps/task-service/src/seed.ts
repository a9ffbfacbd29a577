import 'reflect-metadata';
import { CreateTaskData } from '@taskflow/contracts';
import { IdempotencyRecords } from '@taskflow/idempotency';
import { createLogger } from '@taskflow/nest-kit';
import { TransactionalOutbox } from '@taskflow/outbox';
import { TaskService } from './task/application/task.service';
import { loadTaskServiceConfig } from './config/task-service.config';
import { assertSchemaCurrent, connect } from './database/data-source';
import { inActorTransaction } from './database/actor-transaction';
import { TypeOrmTaskRepository } from './task/infrastructure/persistence/typeorm-task.repository';
import { TASK_IDEMPOTENCY_TABLE, TASK_OUTBOX_TABLE } from './migrations';

/**
 * Development tasks of seed 001, by the seed users of user-service (run its seed first): `admin` is its first
 * admin, `user` its first user (emails are encrypted by user-service, so the seed finds them by role). Reads
 * `users`, which task-service's runtime role may not: run it with the development default DATABASE_URL (the
 * administrator).
 */
const DEV_TASKS: (CreateTaskData & { creator: SeedUser; assignee?: SeedUser })[] = [
  {
    creator: 'admin',
    title: 'Setup development environment',
    description: 'Install and configure all necessary tools',
    status: 'done',
    priority: 'high',
  },
  {
    creator: 'admin',
    assignee: 'user',
    title: 'Write API documentation',
    description: 'Document every endpoint of the gateway',
    status: 'in_progress',
    priority: 'medium',
  },
  {
    creator: 'user',
    title: 'Review pull requests',
    priority: 'urgent',
    dueDate: new Date(Date.now() + 7 * 86_400_000).toISOString(),
  },
];

type SeedUser = 'admin' | 'user';

async function main(): Promise<void> {
  const config = loadTaskServiceConfig();
  const logger = createLogger('task-service-seed', config.logLevel);
  if (config.profile !== 'development') {
    throw new Error(`APP_ENV=${config.profile}: the dev seed only runs in development`);
  }
  const dataSource = await connect(config.db);
  try {
    await assertSchemaCurrent(dataSource);
    const tasks = new TaskService({
      tasks: new TypeOrmTaskRepository(dataSource),
      outbox: new TransactionalOutbox(TASK_OUTBOX_TABLE),
      idempotency: new IdempotencyRecords({
        table: TASK_IDEMPOTENCY_TABLE,
        retentionMs: config.idempotency.retentionMs,
      }),
    });
    const rows: { role: SeedUser; id: string }[] = await dataSource.query(
      `SELECT DISTINCT ON (role) role, id FROM users WHERE role IN ('admin', 'user') ORDER BY role, created_at, id`,
    );
    const users = new Map(rows.map((row) => [row.role, row.id]));
    const created: string[] = [];
    for (const { creator, assignee, ...data } of DEV_TASKS) {
      const creatorId = users.get(creator);
      if (!creatorId) throw new Error(`seed user ${creator} is missing: run \`nx run user-service:seed\` first`);
      // Idempotent: a task is identified by its creator and title.
      const [exists] = await inActorTransaction(dataSource, { id: creatorId, role: 'user' }, 'primary', (manager) =>
        manager.query(`SELECT 1 FROM tasks WHERE creator_id = $1 AND title = $2`, [creatorId, data.title]),
      );
      if (exists) continue;
      await tasks.create(
        { actor: { id: creatorId, role: 'user' }, correlationId: 'dev-seed' },
        { ...data, assigneeId: assignee ? users.get(assignee) : undefined },
      );
      created.push(data.title);
    }
    logger.info({ created }, `seeded ${created.length} task(s)`);
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  main().catch((error: Error) => {
    process.stderr.write(`task-service seed failed: ${error.message}\n`);
    process.exit(1);
  });
}
