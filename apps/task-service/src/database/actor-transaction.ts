import { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../task/domain/task';

/**
 * Where every task-service transaction starts: begins it on the primary or on a read replica (DATABASE_READ_URLS; the primary when none), sets the
 * actor the row-level security policies of `tasks` read (`app.actor_id`, `app.actor_role`, transaction-local:
 * `set_config(..., true)` with bound parameters, so a pooled connection never keeps an actor), runs `work` and
 * commits; rolls back and rethrows on any error.
 */
export async function inActorTransaction<T>(
  dataSource: DataSource,
  actor: Actor,
  target: 'primary' | 'replica',
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner(target === 'primary' ? 'master' : 'slave');
  try {
    await runner.startTransaction();
    await runner.query(`SELECT set_config('app.actor_id', $1, true), set_config('app.actor_role', $2, true)`, [
      actor.id,
      actor.role,
    ]);
    const result = await work(runner.manager);
    await runner.commitTransaction();
    return result;
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await runner.release();
  }
}
