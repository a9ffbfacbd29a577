// The fault-injection suite (`npm run test:faults`). Deliberately not named jest.config.js: the root Jest
// config picks up every folder with a jest.config.js as a project, and these tests must not run in `npm test`.
const preset = require('../../jest.preset');

module.exports = {
  ...preset,
  displayName: 'faults',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.faults-spec.ts'],
  // One system, scenarios one after the other; each scenario may take a minute or two on a loaded machine.
  maxWorkers: 1,
  testTimeout: 240_000,
};
