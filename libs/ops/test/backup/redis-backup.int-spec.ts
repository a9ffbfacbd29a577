import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { freePort } from '@taskflow/testing';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoPath } from '../../src/testing/repo';

jest.setTimeout(60_000);

const hasRedis = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v redis-server && command -v redis-cli'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasRedis)
  process.stderr.write('SKIPPED Redis backup test: redis-server/redis-cli are not installed on this machine.\n');

/** A private redis-server on loopback (never the shared one): this test stops and restarts it. */
async function startRedis(dir: string, extra: string[] = []): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...extra],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 50; i += 1) {
    try {
      execFileSync('redis-cli', ['-p', String(port), 'PING'], { stdio: 'pipe' });
      return { port, proc };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('redis-server did not start');
}
const cli = (port: number, ...args: string[]) =>
  execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).trim();

(hasRedis ? describe : describe.skip)('Redis RDB backup and restore (private redis-server)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-redis-'));
  const procs: ChildProcess[] = [];
  afterAll(() => {
    for (const p of procs) p.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  });

  it.each(['local', 'remote'])('%s mode: BGSAVE/--rdb snapshot restores every key', async (mode) => {
    const dataDir = path.join(root, `${mode}-data`);
    fs.mkdirSync(dataDir);
    const source = await startRedis(dataDir, ['--appendonly', 'yes']);
    procs.push(source.proc);
    for (let i = 0; i < 200; i += 1) cli(source.port, 'SET', `tf:task:${i}`, `value-${i}`);
    cli(source.port, 'HSET', 'tf:session:abc', 'userId', 'u1');

    const out = execFileSync('bash', [repoPath('scripts/backup/backup-redis.sh')], {
      env: {
        ...process.env,
        BACKUP_ROOT: path.join(root, `${mode}-backups`),
        REDIS_URL: `redis://127.0.0.1:${source.port}`,
        REDIS_RDB_MODE: mode,
        BACKUP_EVENTS: 'off',
      },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const archive = out.trim();
    expect(archive).toMatch(/\/redis\/(full|incremental)\/redis_(full|incremental)_\d{8}T\d{6}Z\.rdb$/);
    expect(fs.readFileSync(archive).subarray(0, 5).toString()).toBe('REDIS');
    expect(fs.existsSync(`${archive}.sha256`)).toBe(true);
    // Restoring needs the server stopped: the script checks REDIS_URL and refuses while it answers.
    const sourceUrl = `redis://127.0.0.1:${source.port}`;
    const restoreDir = path.join(root, `${mode}-restore`);
    fs.mkdirSync(restoreDir);
    const restore = () =>
      execFileSync('bash', [repoPath('scripts/backup/restore-redis.sh'), archive, restoreDir], {
        env: { ...process.env, REDIS_URL: sourceUrl },
        stdio: 'pipe',
      });
    expect(restore).toThrow(/still answers/);
    await new Promise((resolve) => {
      source.proc.once('exit', resolve);
      source.proc.kill('SIGTERM');
    });
    restore();
    const restored = await startRedis(restoreDir, ['--dbfilename', 'dump.rdb', '--appendonly', 'no']);
    procs.push(restored.proc);
    expect(cli(restored.port, 'DBSIZE')).toBe('201');
    expect(cli(restored.port, 'GET', 'tf:task:123')).toBe('value-123');
    expect(cli(restored.port, 'HGET', 'tf:session:abc', 'userId')).toBe('u1');
    restored.proc.kill('SIGTERM');
  });
});
