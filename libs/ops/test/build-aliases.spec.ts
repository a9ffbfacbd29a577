import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const pathsOf = (file: string) =>
  (JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as { compilerOptions?: { paths: object }; jsc?: object })
    .compilerOptions?.paths ?? (JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')).jsc.paths as object);

// tsc, Jest and swc-node read tsconfig.base.json; the swc build (npm start, the Dockerfile, bench) reads .swcrc.
// An alias missing from .swcrc type-checks and passes every test, then the built app dies at start with
// "Cannot find module '@taskflow/…'" (it happened with @taskflow/idempotency).
describe('path aliases', () => {
  it('are the same for the swc build (.swcrc) as for tsc and the tests (tsconfig.base.json)', () => {
    expect(pathsOf('.swcrc')).toEqual(pathsOf('tsconfig.base.json'));
  });
});
