import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '../../..');
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const NX = join(ROOT, 'node_modules/.bin/nx');

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

describe('file-level boundaries and layers (dependency-cruiser, .dependency-cruiser.cjs)', () => {
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
      'no-test-code-in-production',
      'libs/outbox/src/relay.ts',
      "import '../../testing/src/index';",
      'libs/testing/src/index.ts',
    ],
    [
      'infra-only-in-tests-of-config-and-nest-kit',
      'libs/nest-kit/src/postgres.ts',
      "import '../../infra/src/index';",
      'libs/infra/src/index.ts',
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
        'libs/nest-kit/src/rpc-tls.int-spec.ts': "import '../../infra/src/index';\nexport {};\n",
        'libs/infra/src/index.ts': 'export const z = 1;\n',
      }),
    ).toEqual([]);
  });
});

interface ProjectGraph {
  nodes: Record<string, { data: { tags: string[] } }>;
  dependencies: Record<string, { target: string }[]>;
}

/** The Nx project graph of the repository (`nx graph --file`); computing it also caches it for ESLint's Nx rule. */
function projectGraph(): ProjectGraph {
  const dir = mkdtempSync(join(tmpdir(), 'taskflow-graph-'));
  try {
    execFileSync(NX, ['graph', `--file=${join(dir, 'graph.json')}`], { cwd: ROOT, stdio: 'pipe' });
    return JSON.parse(readFileSync(join(dir, 'graph.json'), 'utf8')).graph as ProjectGraph;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Lints each text as if it were the repository file at its path, with eslint.config.mjs, and returns, per text, the
 * first line of each `@nx/enforce-module-boundaries` message. One child process for all: ESLint loads its ESM
 * config, which Jest's module VM cannot. Needs the cached project graph (without it the Nx rule skips itself).
 */
function nxBoundaryMessages(files: [filePath: string, text: string][]): string[][] {
  const script = `
    import { ESLint } from 'eslint';
    const eslint = new ESLint({ cwd: process.argv[1] });
    const out = [];
    for (const [filePath, text] of JSON.parse(process.argv[2])) {
      const [result] = await eslint.lintText(text, { filePath });
      out.push(result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message.split('\\n')[0]));
    }
    console.log(JSON.stringify(out));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, ROOT, JSON.stringify(files)], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[][];
}

const RELATIVE_IMPORT_OF_A_PROJECT =
  'Projects cannot be imported by a relative or absolute path, and must begin with a npm scope';

/** Wrong imports and what the Nx rule says about each; the last one is allowed. */
const NX_CASES: [what: string, filePath: string, source: string, messages: string[]][] = [
  [
    'an app importing another app',
    'apps/task-service/src/main.ts',
    "import '../../user-service/src/main';",
    [RELATIVE_IMPORT_OF_A_PROJECT],
  ],
  [
    'a lib importing an app',
    'libs/cache/src/index.ts',
    "import '../../../apps/api-gateway/src/main';",
    [RELATIVE_IMPORT_OF_A_PROJECT],
  ],
  [
    'contracts importing another lib',
    'libs/contracts/src/index.ts',
    "import '@taskflow/bench';",
    ['A project tagged with "type:contracts" cannot depend on any libs with tags'],
  ],
  [
    'contracts importing a lib that builds on contracts',
    'libs/contracts/src/index.ts',
    "import '@taskflow/nest-kit';",
    ['Circular dependency between "contracts" and "nest-kit" detected: contracts -> nest-kit -> contracts'],
  ],
  [
    'an app importing the shared libs through their aliases',
    'apps/api-gateway/src/main.ts',
    "import '@taskflow/contracts';\nimport '@taskflow/nest-kit';",
    [],
  ],
];

describe('project boundaries (Nx project graph and tags, @nx/enforce-module-boundaries in eslint.config.mjs)', () => {
  let graph: ProjectGraph;
  let linted: string[][];
  beforeAll(() => {
    graph = projectGraph();
    linted = nxBoundaryMessages(NX_CASES.map(([, filePath, source]) => [filePath, `${source}\nexport {};\n`]));
  }, 120_000);

  const targets = (project: string) => graph.dependencies[project].map((d) => d.target);

  it('should see the real imports, but not the three test-only back edges (project.json implicitDependencies)', () => {
    expect(targets('api-gateway')).toEqual(expect.arrayContaining(['cache', 'config', 'contracts', 'nest-kit']));
    expect(targets('outbox')).toEqual(expect.arrayContaining(['contracts', 'messaging-kafka', 'nest-kit']));
    expect(targets('infra')).toContain('nest-kit'); // libs/infra/src/local-database.ts
    expect(targets('contracts')).toEqual([]);
    expect(targets('config')).not.toContain('infra');
    expect(targets('nest-kit')).not.toContain('infra');
    expect(targets('nest-kit')).not.toContain('testing');
  });

  it('should have no cycle, so the builds have an order (npm run build)', () => {
    const done = new Set<string>();
    const visit = (project: string, path: string[]): void => {
      if (path.includes(project)) throw new Error(`cycle: ${[...path, project].join(' -> ')}`);
      if (done.has(project)) return;
      for (const target of targets(project)) visit(target, [...path, project]);
      done.add(project);
    };
    for (const project of Object.keys(graph.nodes)) visit(project, []);
  });

  it('should tag every project with one type and one scope, and give no app an app dependency', () => {
    for (const [project, { data }] of Object.entries(graph.nodes)) {
      expect([project, data.tags.map((tag) => tag.split(':')[0]).sort()]).toEqual([project, ['scope', 'type']]);
      const appTargets = targets(project).filter((target) => graph.nodes[target].data.tags.includes('type:app'));
      expect([project, appTargets]).toEqual([project, []]);
    }
  });

  it.each(NX_CASES.map((c, i) => [...c, i] as const))(
    'should answer %s (%s) as expected',
    (_what, _filePath, _source, messages, i) => {
      expect(linted[i]).toEqual(messages);
    },
  );
});
