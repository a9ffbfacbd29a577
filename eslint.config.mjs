// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import nx from '@nx/eslint-plugin';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.infra/**', '.reports/**', '.nx/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Project boundaries, on the Nx project graph and the tags in each project.json (docs/infrastructure.md
    // "Module boundaries"). Besides the tag rules, Nx refuses any import of an app, a relative import into another
    // project and a cycle between projects. The layers inside an app and test code in production files are
    // file-level rules: .dependency-cruiser.cjs checks those.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          depConstraints: [
            // An app sees its own scope and the shared libs, never another app.
            { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:gateway', 'scope:shared'] },
            { sourceTag: 'scope:user', onlyDependOnLibsWithTags: ['scope:user', 'scope:shared'] },
            { sourceTag: 'scope:task', onlyDependOnLibsWithTags: ['scope:task', 'scope:shared'] },
            { sourceTag: 'scope:audit', onlyDependOnLibsWithTags: ['scope:audit', 'scope:shared'] },
            // libs/ is what apps import, never the other way round.
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            // libs/contracts is the single source of shapes and rules: it depends on no other TaskFlow code.
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
          ],
          // Tests of config and nest-kit use infra and testing, which build on config and nest-kit: cycles of test
          // files only. The same three edges are left out of the Nx graph (implicitDependencies "!…" in
          // libs/config and libs/nest-kit project.json); .dependency-cruiser.cjs keeps them out of production files.
          ignoredCircularDependencies: [
            ['config', 'infra'],
            ['nest-kit', 'infra'],
            ['nest-kit', 'testing'],
          ],
        },
      ],
    },
  },
);
