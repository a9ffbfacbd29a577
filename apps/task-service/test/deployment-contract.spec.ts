import { describeDeploymentContract } from '@taskflow/ops/testing';
import { loadTaskServiceConfig } from '../src/config/task-service.config';

// Every task-service container (Deployment, migration Job, compose services) starts with a configuration
// the loader of its entry point (main.js and migrate.js both use loadTaskServiceConfig) accepts.
describeDeploymentContract('task-service', {
  'node dist/apps/task-service/src/main.js': loadTaskServiceConfig,
  'node dist/apps/task-service/src/migrate.js': loadTaskServiceConfig,
});
