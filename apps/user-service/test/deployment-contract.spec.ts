import { describeDeploymentContract } from '@taskflow/ops/testing';
import { loadUserServiceConfig } from '../src/config/user-service.config';

// Every user-service container (Deployment, migration init container, compose services) starts with a
// configuration the loader of its entry point (main.js and migrate.js both use loadUserServiceConfig) accepts.
describeDeploymentContract('user-service', {
  'node dist/apps/user-service/src/main.js': loadUserServiceConfig,
  'node dist/apps/user-service/src/migrate.js': loadUserServiceConfig,
});
