import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mongoToolsMissing } from '../../src/backup/mongo-restore-drill';
import { adminUrl, databaseUrl, uniqueName, withPg } from '../../src/testing/postgres';
import { readRepoFile, REPO_ROOT } from '../../src/testing/repo';

jest.setTimeout(300_000);

/**
 * The restore drills exactly as docs/operations.md documents them (its "Restore drills" code block, the
 * placeholder URL replaced by a real one), run with bash from the source tree and from a build laid out as the
 * backup image is (Dockerfile `backup` stage: /app/dist from `swc apps libs -d dist`, /app/scripts/backup,
 * node_modules, package.json).
 */
function documentedDrill(target: 'postgres' | 'mongo'): string {
  const section = readRepoFile('docs/operations.md').split('\n## Restore drills\n')[1]?.split('\n## ')[0] ?? '';
  const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const line = block.split('\n').find((l) => l.includes(`scripts/backup/restore-drill.sh ${target}`));
  if (!line) throw new Error(`docs/operations.md "Restore drills" documents no ${target} drill`);
  return line.replace(/\s+#.*$/, '').trim();
}

/** The documented line with its placeholder URL (`scheme://…/<db>`) replaced by `url`. */
function withUrl(commandLine: string, url: string): string {
  const placeholder = /\b[a-z]+:\/\/…\/\w+/;
  expect(commandLine).toMatch(placeholder);
  return commandLine.replace(placeholder, url);
}

/** Runs one command line with bash in `cwd`: exit status and output. */
function run(commandLine: string, cwd: string, env: NodeJS.ProcessEnv) {
  const result = spawnSync('bash', ['-c', commandLine], { cwd, env, encoding: 'utf8', maxBuffer: 16 << 20 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A build laid out as the backup image's /app, in a temp directory. */
function buildLikeTheBackupImage(dir: string): void {
  const swc = path.join(REPO_ROOT, 'node_modules', '.bin', 'swc');
  // As the Dockerfile's build stage (`npx swc apps libs -d dist`); the drills need only libs.
  execFileSync(swc, ['libs', '-d', path.join(dir, 'dist'), '--ignore', '**/*.spec.ts,**/*.int-spec.ts', '--quiet'], {
    cwd: REPO_ROOT,
    stdio: 'pipe',
  });
  fs.cpSync(path.join(REPO_ROOT, 'scripts', 'backup'), path.join(dir, 'scripts', 'backup'), { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(dir, 'package.json'));
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
}

describe('restore drills run exactly as docs/operations.md documents them', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-documented-drill-'));
  const build = path.join(work, 'app');
  const source = uniqueName('tf_doc_drill');
  const env: NodeJS.ProcessEnv = { ...process.env, BACKUP_ROOT: path.join(work, 'backups'), BACKUP_EVENTS: 'off' };
  delete env.DATABASE_URL;
  delete env.MONGO_URL;

  beforeAll(async () => {
    buildLikeTheBackupImage(build);
    await withPg(adminUrl(), (c) => c.query(`CREATE DATABASE ${source}`));
    await withPg(databaseUrl(source), (c) =>
      c.query(`CREATE TABLE tasks (id bigserial PRIMARY KEY, title text NOT NULL);
               INSERT INTO tasks (title) SELECT 'task ' || g FROM generate_series(1, 100) g;`),
    );
  });

  afterAll(async () => {
    await withPg(adminUrl(), (c) => c.query(`DROP DATABASE IF EXISTS ${source} WITH (FORCE)`));
    fs.rmSync(work, { recursive: true, force: true });
  });

  it.each([
    ['the source tree', REPO_ROOT],
    ['a build laid out as the backup image', build],
  ])('PostgreSQL drill from %s', (_where, cwd) => {
    const commandLine = withUrl(documentedDrill('postgres'), databaseUrl(source));
    const result = run(commandLine, cwd, env);
    expect(result.output).toMatch(/restore drill PASSED: 1 tables, 1 sequences compared/);
    expect(result.status).toBe(0);
  });

  const missing = mongoToolsMissing();
  if (missing) process.stderr.write(`SKIPPED documented MongoDB restore drill: ${missing}.\n`);
  (missing ? it.skip : it).each([
    ['the source tree', REPO_ROOT],
    ['a build laid out as the backup image', build],
  ])('MongoDB drill from %s', (_where, cwd) => {
    const url = new URL(process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/taskflow_audit');
    url.pathname = `/${uniqueName('tf_doc_drill')}`;
    const result = run(withUrl(documentedDrill('mongo'), url.toString()), cwd, env);
    expect(result.status).toBe(0);
  });
});
