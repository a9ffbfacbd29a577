// Module boundaries and layers, checked by dependency-cruiser in CI (`npm run lint:deps`, .ci/run "typecheck and
// lint") and by libs/ops/test/module-boundaries.spec.ts, which shows each rule catching a wrong import.
// A violation still being paid off may be listed in .dependency-cruiser-known-violations.json (`--ignore-known`;
// empty today): listed ones are reported as warnings, every other violation fails.
const TEST_FILES = '(\\.spec\\.ts|\\.int-spec\\.ts)$|/test/|/scripts/';
const LAYER = '^apps/[^/]+/src/[^/]+/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-app-to-app',
      comment: 'An app never imports another app: share code through libs/.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'no-lib-to-app',
      comment: 'libs/ is what apps import, never the other way round.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'contracts-stand-alone',
      comment: 'libs/contracts is the single source of shapes and rules: it depends on no other TaskFlow code.',
      severity: 'error',
      from: { path: '^libs/contracts/' },
      to: { path: '^libs/', pathNot: '^libs/contracts/' },
    },
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
