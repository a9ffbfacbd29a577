import { describeDeploymentContract } from '@taskflow/ops/testing';
import {
  loadDatabaseRolesConfig,
  loadUserServiceConfig,
  loadUserServiceServerConfig,
} from '../src/config/user-service.config';

// Every user-service container (Deployment, migration init container, compose services) starts with a
// configuration the loader of its entry point (main.js: loadUserServiceServerConfig, with the token keys; migrate.js:
// loadUserServiceConfig; migrate.js roles: loadDatabaseRolesConfig) accepts.
describeDeploymentContract('user-service', {
  'node dist/apps/user-service/src/main.js': loadUserServiceServerConfig,
  'node dist/apps/user-service/src/migrate.js': loadUserServiceConfig,
  'node dist/apps/user-service/src/migrate.js roles': loadDatabaseRolesConfig,
});
