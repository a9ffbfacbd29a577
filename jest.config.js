// Root Jest config: every project, one global setup that brings the real infrastructure up once per run.
const { transform, transformIgnorePatterns, moduleNameMapper } = require('./jest.preset');
const fs = require('node:fs');
const path = require('node:path');

const projects = ['apps', 'libs'].flatMap((dir) =>
  fs
    .readdirSync(path.join(__dirname, dir))
    .map((name) => path.join(__dirname, dir, name))
    .filter((projectDir) => fs.existsSync(path.join(projectDir, 'jest.config.js'))),
);

module.exports = {
  projects,
  transform,
  transformIgnorePatterns,
  moduleNameMapper,
  globalSetup: '<rootDir>/libs/testing/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/jest/global-teardown.ts',
};
