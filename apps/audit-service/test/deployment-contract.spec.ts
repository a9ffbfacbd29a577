import { contractProblems, describeDeploymentContract, overlayContainers } from '@taskflow/ops/testing';
import { loadAuditConfig, loadAuditMigrationConfig } from '../src/config/audit.config';

// Every audit-service container (Deployment, migration Job, compose services) starts with a configuration
// its entry point's loader accepts, in each overlay's profile.
const LOADERS = {
  'node dist/apps/audit-service/src/main.js': loadAuditConfig,
  'node dist/apps/audit-service/src/migrate.js': loadAuditMigrationConfig,
};

describeDeploymentContract('audit-service', LOADERS);

describe('deployment contract: audit-service without JWT_PUBLIC_KEYS', () => {
  it('fails in prod when the Deployment does not pass the gateway public keys (it got no token key before)', () => {
    const withoutJwt = overlayContainers('prod', {
      mutate: (objects) => {
        const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'audit-service')!;
        const container = deployment.spec.template.spec.containers[0];
        container.env = container.env.filter((entry: { name: string }) => entry.name !== 'JWT_PUBLIC_KEYS');
      },
    }).find((c) => c.where === 'prod Deployment/audit-service/audit-service')!;
    expect(contractProblems(withoutJwt, LOADERS)).toEqual([expect.stringMatching(/^JWT_PUBLIC_KEYS: is required/)]);
  });
});

describe('deployment contract: audit-service without EVENT_VERIFY_KEYS', () => {
  it("fails in prod when the Deployment does not pass the producers' public keys (it would verify no event)", () => {
    const withoutKeys = overlayContainers('prod', {
      mutate: (objects) => {
        const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'audit-service')!;
        const container = deployment.spec.template.spec.containers[0];
        container.env = container.env.filter((entry: { name: string }) => entry.name !== 'EVENT_VERIFY_KEYS');
      },
    }).find((c) => c.where === 'prod Deployment/audit-service/audit-service')!;
    expect(contractProblems(withoutKeys, LOADERS)).toEqual([expect.stringMatching(/^EVENT_VERIFY_KEYS: is required/)]);
  });
});
