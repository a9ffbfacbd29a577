// The file-level boundaries, checked by dependency-cruiser in CI (`npm run lint:deps`, .ci/run "typecheck and lint"):
// the layers inside each app and test code kept out of production files. The project-level boundaries (no app imports
// another app, libs never import apps, contracts stand alone) are Nx's @nx/enforce-module-boundaries on the project
// tags, in eslint.config.mjs. libs/ops/test/module-boundaries.spec.ts shows each rule of both catching a wrong import.
// A violation still being paid off may be listed in .dependency-cruiser-known-violations.json (`--ignore-known`;
// empty today): listed ones are reported as warnings, every other violation fails.
const TEST_FILES = '(\\.spec\\.ts|\\.int-spec\\.ts)$|/test/|/scripts/';
const LAYER = '^apps/[^/]+/src/[^/]+/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-test-code-in-production',
      comment: 'libs/testing and libs/fault-suite serve tests, benchmarks and tooling only.',
      severity: 'error',
      from: {
        path: '^(apps|libs)/',
        pathNot: `${TEST_FILES}|^libs/(testing|fault-suite|bench)/|^libs/ops/src/testing/`,
      },
      to: { path: '^libs/(testing|fault-suite)/' },
    },
    {
      name: 'infra-only-in-tests-of-config-and-nest-kit',
      comment:
        'libs/infra (local backends) builds on config and nest-kit, so only their tests may use it: the Nx graph leaves ' +
        'those test edges out (implicitDependencies "!infra" in their project.json), a production import would be a ' +
        'real edge it cannot see and a cycle.',
      severity: 'error',
      from: { path: '^libs/(config|nest-kit)/', pathNot: TEST_FILES },
      to: { path: '^libs/infra/' },
    },
    {
      name: 'domain-is-pure',
      comment: 'The domain layer imports neither the other layers nor a framework, driver or I/O package.',
      severity: 'error',
      from: { path: `${LAYER}domain/` },
      to: {
        path: [
          `${LAYER}(application|infrastructure|interface)/`,
          'node_modules/(@nestjs|typeorm|mongoose|mongodb|kafkajs|ioredis|pg|fastify)/',
        ],
      },
    },
    {
      name: 'application-not-to-interface',
      comment: 'Use cases do not know how they are called (HTTP, RPC, Kafka).',
      severity: 'error',
      from: { path: `${LAYER}application/` },
      to: { path: `${LAYER}interface/` },
    },
    {
      name: 'application-not-to-infrastructure',
      comment: 'Use cases reach storage and messaging through ports (abstract classes as DI tokens), not adapters.',
      severity: 'error',
      from: { path: `${LAYER}application/`, pathNot: TEST_FILES },
      to: { path: `${LAYER}infrastructure/` },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|\\.infra|\\.reports|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
