import { RpcContext } from '@taskflow/contracts';
import { IdempotencyRecords } from '@taskflow/idempotency';
import { TransactionalOutbox } from '@taskflow/outbox';
import { DataSource } from 'typeorm';
import { TaskService } from '../src/task/application/task.service';
import { TypeOrmTaskRepository } from '../src/task/infrastructure/persistence/typeorm-task.repository';
import { TASK_IDEMPOTENCY_TABLE, TASK_OUTBOX_TABLE } from '../src/migrations';
import { createScratchDatabase, insertUser, openDataSource, ScratchDatabase, testConfig } from './fixtures/database';

jest.setTimeout(60_000);

/**
 * Read routing with DATABASE_READ_URLS. The "replica" is a second database with the same schema but without
 * the primary's rows, so where a read went shows in its answer.
 */
describe('read replicas (real PostgreSQL)', () => {
  let primary: ScratchDatabase;
  let replica: ScratchDatabase;
  let dataSource: DataSource;
  let owners: DataSource[];

  beforeAll(async () => {
    [primary, replica] = await Promise.all([
      createScratchDatabase('task_primary_it'),
      createScratchDatabase('task_replica_it'),
    ]);
    await Promise.all([primary.migrate(), replica.migrate()]);
    owners = await Promise.all([openDataSource(primary.config), openDataSource(replica.config)]);
    // The service's runtime role on both, as deployed.
    dataSource = await openDataSource(
      testConfig(primary.serviceConfig.db.url, { DATABASE_READ_URLS: replica.serviceConfig.db.url }),
    );
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await Promise.all((owners ?? []).map((owner) => owner.destroy()));
    await Promise.all([primary?.drop(), replica?.drop()]);
  });

  it('should write and read-your-write on the primary and send list and stats to the replica', async () => {
    const userId = await insertUser(owners[0]);
    await owners[1].query(`INSERT INTO users (id, email, password_hash) VALUES ($1, 'r@example.test', 'x')`, [userId]);
    const context: RpcContext = { actor: { id: userId, role: 'user' } };
    const tasks = new TaskService({
      tasks: new TypeOrmTaskRepository(dataSource),
      outbox: new TransactionalOutbox(TASK_OUTBOX_TABLE),
      idempotency: new IdempotencyRecords({ table: TASK_IDEMPOTENCY_TABLE, retentionMs: 86_400_000 }),
    });

    const created = await tasks.create(context, { title: 'on the primary' });
    await expect(tasks.get(context, { id: created.id })).resolves.toMatchObject({ title: 'on the primary' });
    expect((await tasks.list(context, {})).items).toEqual([]); // the replica has not seen it (no replication here)
    expect((await tasks.stats(context, {})).total).toBe(0);
  });
});
