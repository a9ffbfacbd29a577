import { describeDeploymentContract } from '@taskflow/ops/testing';
import { loadAuditConfig, loadAuditMigrationConfig } from '../src/config/audit.config';

// Every audit-service container (Deployment, migration Job, compose services) starts with a configuration
// its entry point's loader accepts, in each overlay's profile.
describeDeploymentContract('audit-service', {
  'node dist/apps/audit-service/src/main.js': loadAuditConfig,
  'node dist/apps/audit-service/src/migrate.js': loadAuditMigrationConfig,
});
