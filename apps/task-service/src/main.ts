import 'reflect-metadata';
import { runPostgresService } from '@taskflow/service-chassis';
import { createTaskServiceApp, TASK_SERVICE } from './bootstrap';
import { loadTaskServiceServerConfig } from './config/task-service.config';
import { connect } from './database/data-source';
import { runMigrations } from './migrate';

// Boot, readiness and graceful shutdown are the chassis' (runPostgresService); this is what is task-service's own.
void runPostgresService(TASK_SERVICE, () => {
  const config = loadTaskServiceServerConfig();
  return {
    config,
    database: { migrate: () => runMigrations(config.db), connect: (logger) => connect(config.db, { logger }) },
    createApp: (resources, rpc, shutdown) => createTaskServiceApp(resources, rpc, shutdown),
  };
});
