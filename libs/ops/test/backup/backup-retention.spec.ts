import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoPath } from '../../src/testing/repo';

const DAY = 24 * 3600;

describe('retention pruning (scripts/backup/prune-backups.sh)', () => {
  let root: string;

  /** Creates an archive + .sha256 aged `days` days. */
  function archive(rel: string, days: number): string {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'data');
    fs.writeFileSync(`${file}.sha256`, 'sum');
    const when = Date.now() / 1000 - days * DAY;
    fs.utimesSync(file, when, when);
    fs.utimesSync(`${file}.sha256`, when, when);
    return file;
  }
  const prune = (env: NodeJS.ProcessEnv = {}, args: string[] = []) =>
    execFileSync('bash', [repoPath('scripts/backup/prune-backups.sh'), ...args], {
      env: { ...process.env, BACKUP_ROOT: root, ...env },
      encoding: 'utf8',
      stdio: 'pipe',
    });
  const remaining = () =>
    fs
      .readdirSync(root, { recursive: true })
      .map(String)
      .filter((f) => fs.statSync(path.join(root, f)).isFile())
      .sort();

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-prune-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('deletes full backups after 30 days and incremental after 7 by default, with their checksums', () => {
    archive('postgres/full/taskflow_full_a.dump', 45);
    archive('postgres/full/taskflow_full_b.dump', 31);
    archive('postgres/full/taskflow_full_c.dump', 29);
    archive('postgres/full/taskflow_full_d.dump', 1);
    archive('mongo/incremental/audit_incremental_a.archive.gz', 8);
    archive('mongo/incremental/audit_incremental_b.archive.gz', 6.9);
    archive('postgres/wal/000000010000000000000001', 10);
    archive('redis/incremental/redis_incremental_a.rdb', 0.5);

    prune();
    expect(remaining()).toEqual(
      [
        'mongo/incremental/audit_incremental_b.archive.gz',
        'mongo/incremental/audit_incremental_b.archive.gz.sha256',
        'postgres/full/taskflow_full_c.dump',
        'postgres/full/taskflow_full_c.dump.sha256',
        'postgres/full/taskflow_full_d.dump',
        'postgres/full/taskflow_full_d.dump.sha256',
        'redis/incremental/redis_incremental_a.rdb',
        'redis/incremental/redis_incremental_a.rdb.sha256',
      ].sort(),
    );
  });

  it('honours configured retention days', () => {
    archive('postgres/full/a.dump', 10);
    archive('postgres/full/b.dump', 3);
    archive('mongo/incremental/c.gz', 2);
    archive('mongo/incremental/d.gz', 0.5);
    prune({ BACKUP_RETENTION_FULL_DAYS: '5', BACKUP_RETENTION_INCREMENTAL_DAYS: '1' });
    expect(remaining()).toEqual([
      'mongo/incremental/d.gz',
      'mongo/incremental/d.gz.sha256',
      'postgres/full/b.dump',
      'postgres/full/b.dump.sha256',
    ]);
  });

  it('always keeps the newest full backup of a target, however old', () => {
    archive('postgres/full/only_old.dump', 90);
    archive('postgres/full/older.dump', 120);
    prune();
    expect(remaining()).toEqual(['postgres/full/only_old.dump', 'postgres/full/only_old.dump.sha256']);
  });

  it('--dry-run reports but deletes nothing; bad settings are rejected', () => {
    archive('postgres/full/a.dump', 60);
    archive('postgres/full/b.dump', 1);
    const before = remaining();
    const out = execFileSync('bash', ['-c', `"${repoPath('scripts/backup/prune-backups.sh')}" --dry-run 2>&1`], {
      env: { ...process.env, BACKUP_ROOT: root },
      encoding: 'utf8',
    });
    expect(out).toContain('would delete');
    expect(out).toContain('[dry run]');
    expect(remaining()).toEqual(before);
    expect(() => prune({ BACKUP_RETENTION_FULL_DAYS: 'thirty' })).toThrow();
  });
});
