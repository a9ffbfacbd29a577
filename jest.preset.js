// Shared Jest settings for every project: SWC transform (with decorator metadata for Nest DI)
// and the tsconfig path aliases mapped to library sources.
const fs = require('node:fs');
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const root = __dirname;
const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, path.join(root, target)]),
);

/** Names of the installed packages whose package.json says `"type": "module"`, regex-escaped. */
function esmOnlyPackages() {
  const nodeModules = path.join(root, 'node_modules');
  const names = fs
    .readdirSync(nodeModules)
    .flatMap((name) =>
      name.startsWith('@') ? fs.readdirSync(path.join(nodeModules, name)).map((sub) => `${name}/${sub}`) : [name],
    );
  return names
    .filter((name) => {
      try {
        return JSON.parse(fs.readFileSync(path.join(nodeModules, name, 'package.json'), 'utf8')).type === 'module';
      } catch {
        return false;
      }
    })
    .map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
}

function swcOptions(syntax) {
  return {
    swcrc: false,
    jsc: {
      target: 'es2022',
      parser: syntax === 'typescript' ? { syntax, decorators: true } : { syntax },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  };
}

module.exports = {
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  // NestJS 12 and many of its dependencies ship ESM only. Node runs them through require(esm), but Jest
  // cannot, so SWC compiles every ESM-only package to CommonJS for the tests (rewriting `import.meta.url`).
  transform: {
    '^.+\\.ts$': ['@swc/jest', swcOptions('typescript')],
    '^.+\\.m?js$': ['@swc/jest', swcOptions('ecmascript')],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyPackages().join('|')})/)`],
  testMatch: ['<rootDir>/**/*.spec.ts', '<rootDir>/**/*.int-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};
