import { freePort } from '@taskflow/infra';
import type { ServiceDatabase } from './scratch-database';
import { ServiceProcess, startService } from './service-process';

export interface DomainServices {
  user: ServiceProcess;
  task: ServiceProcess;
  /** TCP request/reply ports, as the gateway's USER_SERVICE_PORT / TASK_SERVICE_PORT. */
  userRpcPort: number;
  taskRpcPort: number;
}

/**
 * Starts user-service, then task-service, from source on free ports over `database`, each as deployed: migrating
 * as its owner role and serving as its runtime role (`database.env(service)`), with `env` (MIGRATIONS_RUN, …);
 * each ready before the next: task-service's tables reference users, so user-service migrates first.
 * The caller stops both (`user.stop()`, `task.stop()`), also when the second fails to start.
 */
export async function startDomainServices(
  database: ServiceDatabase,
  env: Record<string, string>,
  started: (service: ServiceProcess) => void = () => undefined,
): Promise<DomainServices> {
  const [userRpcPort, userManagement, taskRpcPort, taskManagement] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const user = await startService(
    'user-service',
    {
      ...env,
      ...database.env('user-service'),
      USER_SERVICE_PORT: String(userRpcPort),
      MANAGEMENT_PORT: String(userManagement),
    },
    `http://127.0.0.1:${userManagement}/health/ready`,
  );
  started(user);
  const task = await startService(
    'task-service',
    {
      ...env,
      ...database.env('task-service'),
      TASK_SERVICE_PORT: String(taskRpcPort),
      MANAGEMENT_PORT: String(taskManagement),
    },
    `http://127.0.0.1:${taskManagement}/health/ready`,
  );
  started(task);
  return { user, task, userRpcPort, taskRpcPort };
}
