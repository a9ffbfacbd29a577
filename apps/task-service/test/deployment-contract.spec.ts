import { describeDeploymentContract } from '@taskflow/ops/testing';
import { loadTaskServiceConfig, loadTaskServiceServerConfig } from '../src/config/task-service.config';

// Every task-service container (Deployment, migration Job, compose services) starts with a configuration
// the loader of its entry point (main.js: loadTaskServiceServerConfig, with the token keys; migrate.js: loadTaskServiceConfig) accepts.
describeDeploymentContract('task-service', {
  'node dist/apps/task-service/src/main.js': loadTaskServiceServerConfig,
  'node dist/apps/task-service/src/migrate.js': loadTaskServiceConfig,
});
