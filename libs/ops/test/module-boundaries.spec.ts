import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '../../..');
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/** Runs the repository's dependency-cruiser rules over a throwaway tree and returns what they report. */
function cruise(files: Record<string, string>): Violation[] {
  const dir = mkdtempSync(join(tmpdir(), 'taskflow-boundaries-'));
  try {
    writeFileSync(join(dir, 'tsconfig.base.json'), JSON.stringify({ compilerOptions: { baseUrl: '.' } }));
    for (const top of ['apps', 'libs']) mkdirSync(join(dir, top));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const run = spawnSync(DEPCRUISE, ['apps', 'libs', '--config', CONFIG, '--output-type', 'json'], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (run.status !== 0 && !run.stdout) throw new Error(`depcruise failed: ${run.stderr}`);
    return (JSON.parse(run.stdout).summary.violations as Violation[]).map(({ from, to, rule }) => ({
      from,
      to,
      rule: { name: rule.name },
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('module boundaries and layers (dependency-cruiser, .dependency-cruiser.cjs)', () => {
  it('should pass on the repository (known violations aside) — the same check CI runs', () => {
    expect(() =>
      execFileSync(DEPCRUISE, ['apps', 'libs', '--config', CONFIG, '--ignore-known', '--output-type', 'err'], {
        cwd: ROOT,
        stdio: 'pipe',
      }),
    ).not.toThrow();
  });

  it.each([
    [
      'no-app-to-app',
      'apps/task-service/src/main.ts',
      "import '../../user-service/src/secret';",
      'apps/user-service/src/secret.ts',
    ],
    [
      'no-lib-to-app',
      'libs/cache/src/index.ts',
      "import '../../../apps/api-gateway/src/x';",
      'apps/api-gateway/src/x.ts',
    ],
    [
      'contracts-stand-alone',
      'libs/contracts/src/index.ts',
      "import '../../nest-kit/src/index';",
      'libs/nest-kit/src/index.ts',
    ],
    [
      'no-test-code-in-production',
      'libs/outbox/src/relay.ts',
      "import '../../testing/src/index';",
      'libs/testing/src/index.ts',
    ],
    [
      'domain-is-pure',
      'apps/task-service/src/task/domain/task.ts',
      "import '../infrastructure/repo';",
      'apps/task-service/src/task/infrastructure/repo.ts',
    ],
    [
      'application-not-to-interface',
      'apps/task-service/src/task/application/uc.ts',
      "import '../interface/http';",
      'apps/task-service/src/task/interface/http.ts',
    ],
    [
      'application-not-to-infrastructure',
      'apps/task-service/src/task/application/uc.ts',
      "import '../infrastructure/repo';",
      'apps/task-service/src/task/infrastructure/repo.ts',
    ],
  ])('%s: should catch %s importing a forbidden module', (rule, from, source, target) => {
    expect(cruise({ [from]: `${source}\nexport {};\n`, [target]: 'export const x = 1;\n' })).toEqual([
      { from, to: target, rule: { name: rule } },
    ]);
  });

  it('should let the same files import what the layers allow', () => {
    expect(
      cruise({
        'apps/task-service/src/task/interface/http.ts': "import '../application/uc';\nexport {};\n",
        'apps/task-service/src/task/application/uc.ts': "import '../domain/task';\nexport {};\n",
        'apps/task-service/src/task/infrastructure/repo.ts': "import '../domain/task';\nexport {};\n",
        'apps/task-service/src/task/domain/task.ts': 'export const x = 1;\n',
        'apps/task-service/test/t.spec.ts': "import '../../../libs/testing/src/index';\nexport {};\n",
        'libs/testing/src/index.ts': 'export const y = 1;\n',
      }),
    ).toEqual([]);
  });
});
