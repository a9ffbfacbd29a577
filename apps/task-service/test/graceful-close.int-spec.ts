import { RpcContext, TaskRpc, TaskView } from '@taskflow/contracts';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createScratchDatabase, insertUser, openDataSource, ScratchDatabase } from './fixtures/database';
import { RunningService, startService } from './fixtures/service';

// Issue 15: Nest's TCP transport destroys every open socket on close, so a write that was still running when
// the service shut down committed without its reply reaching the caller. The RPC listener now ends a connection
// only after the replies of the requests it received are written.

describe('task-service closing with an RPC in flight', () => {
  let scratch: ScratchDatabase;
  let dataSource: DataSource;
  let service: RunningService;
  let actor: RpcContext;

  beforeAll(async () => {
    scratch = await createScratchDatabase('task_close_it');
    dataSource = await openDataSource(scratch.config);
    await dataSource.runMigrations({ transaction: 'each' });
    actor = { actor: { id: await insertUser(dataSource), role: 'user' } };
    service = await startService(scratch.config, dataSource, ['127.0.0.1:1']);
  }, 60_000);

  afterAll(async () => {
    await service?.client.close();
    await service?.publisher.disconnect();
    await dataSource?.destroy();
    await scratch?.drop();
  });

  it('should write the reply of a write still waiting on a lock before it closes the connection', async () => {
    const locker = new Client({ connectionString: scratch.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE');
    const write = service
      .send<TaskView>(TaskRpc.create.pattern, actor, { title: 'in flight at shutdown' })
      .then((task) => ({ task }))
      .catch((error: unknown) => ({ error }));
    await new Promise((resolve) => setTimeout(resolve, 500)); // the create now waits on the lock
    const closed = service.app.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await locker.query('COMMIT');
    await locker.end();
    const outcome = await write;
    await closed;

    expect(outcome).toMatchObject({ task: { title: 'in flight at shutdown' } });
    const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM tasks WHERE title = $1`, [
      'in flight at shutdown',
    ]);
    expect(count).toBe(1);
  }, 60_000);
});
