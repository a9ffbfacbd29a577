import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fingerprintTables, runPostgresDrill } from '../../src/backup/restore-drill';
import { adminUrl, databaseUrl, uniqueName, withPg } from '../../src/testing/postgres';
import { repoPath } from '../../src/testing/repo';

jest.setTimeout(120_000);

/**
 * Runs the real restore drill against the real PostgreSQL server: a scratch source database with
 * users/tasks-shaped data, backed up by scripts/backup/backup-postgres.sh (encrypted), restored by
 * scripts/backup/restore-postgres.sh into a scratch database, compared table by table.
 */
describe('PostgreSQL restore drill (real server)', () => {
  const source = uniqueName('tf_drill_src');
  const backupRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-drill-'));
  const keyFile = path.join(backupRoot, 'backup.key');
  const lines: string[] = [];

  beforeAll(async () => {
    fs.writeFileSync(keyFile, 'drill-test-passphrase-not-a-secret\n', { mode: 0o600 });
    await withPg(adminUrl(), (c) => c.query(`CREATE DATABASE ${source}`));
    await withPg(databaseUrl(source), async (c) => {
      await c.query(`
        CREATE TABLE users (
          id uuid PRIMARY KEY, email text UNIQUE NOT NULL, name text, created_at timestamptz NOT NULL DEFAULT now());
        CREATE TABLE tasks (
          id bigserial PRIMARY KEY, title text NOT NULL, status text NOT NULL,
          assignee_id uuid REFERENCES users(id), tags text[], metadata jsonb, due_date date);
        CREATE TABLE outbox (id bigserial PRIMARY KEY, payload jsonb NOT NULL, sent_at timestamptz);
        INSERT INTO users (id, email, name)
          SELECT md5(g::text)::uuid, 'user' || g || '@example.com', CASE WHEN g % 7 = 0 THEN NULL ELSE 'Ünïcødé ' || g END
          FROM generate_series(1, 300) g;
        INSERT INTO tasks (title, status, assignee_id, tags, metadata, due_date)
          SELECT 'task ' || g || E' with\\ttab', (ARRAY['todo','in_progress','done'])[1 + g % 3],
                 md5((1 + g % 300)::text)::uuid, ARRAY['a', 'b' || g], jsonb_build_object('n', g, 'q', 'x"y'),
                 DATE '2026-01-01' + g
          FROM generate_series(1, 2000) g;
        INSERT INTO outbox (payload) SELECT jsonb_build_object('i', g) FROM generate_series(1, 50) g;`);
    });
  });

  afterAll(async () => {
    await withPg(adminUrl(), (c) => c.query(`DROP DATABASE IF EXISTS ${source} WITH (FORCE)`));
    fs.rmSync(backupRoot, { recursive: true, force: true });
  });

  it('backs up, restores into a scratch database and finds every table identical', async () => {
    const result = await runPostgresDrill({
      sourceUrl: databaseUrl(source),
      backupRoot,
      env: { BACKUP_ENCRYPTION_KEY_FILE: keyFile, BACKUP_EVENTS: 'off' },
      log: (line) => lines.push(line),
    });
    console.log(lines.join('\n'));

    expect(result.ok).toBe(true);
    expect(result.tables.map((t) => [t.table, t.sourceRows, t.restoredRows])).toEqual([
      ['public.outbox', 50, 50],
      ['public.tasks', 2000, 2000],
      ['public.users', 300, 300],
    ]);
    expect(result.tables.every((t) => t.sourceChecksum === t.restoredChecksum)).toBe(true);
    expect(result.sequences.map((s) => [s.sequence, s.restored])).toEqual([
      ['public.outbox_id_seq', '50'],
      ['public.tasks_id_seq', '2000'],
    ]);
    // Timestamped, encrypted archive with a checksum next to it; size and times reported.
    expect(path.basename(result.archive)).toMatch(new RegExp(`^${source}_full_\\d{8}T\\d{6}Z\\.dump\\.enc$`));
    expect(fs.existsSync(`${result.archive}.sha256`)).toBe(true);
    expect(fs.readFileSync(result.archive).subarray(0, 8).toString()).toBe('Salted__');
    expect(result.sizeBytes).toBeGreaterThan(1000);
    expect(lines.some((l) => /^backup size: \d+ bytes/.test(l))).toBe(true);
    expect(lines.some((l) => /^restore time: \d+ ms$/.test(l))).toBe(true);
    // The scratch database is dropped afterwards.
    const left = await withPg(adminUrl(), (c) =>
      c.query('SELECT 1 FROM pg_database WHERE datname = $1', [result.scratchDatabase]),
    );
    expect(left.rowCount).toBe(0);
  });

  it('records backup metrics: last success time, and a failure count when a backup fails', () => {
    const metrics = () => fs.readFileSync(path.join(backupRoot, 'metrics', 'taskflow_backup_postgres.prom'), 'utf8');
    const lastSuccess = Number(
      /taskflow_backup_last_success_timestamp_seconds\{target="postgres"\} (\d+)/.exec(metrics())?.[1],
    );
    expect(Math.abs(Date.now() / 1000 - lastSuccess)).toBeLessThan(300);
    expect(metrics()).toContain('taskflow_backup_failures_total{target="postgres"} 0');

    let failed = false;
    try {
      execFileSync('bash', [repoPath('scripts/backup/backup-postgres.sh')], {
        env: {
          ...process.env,
          BACKUP_ROOT: backupRoot,
          BACKUP_EVENTS: 'off',
          DATABASE_URL: databaseUrl(`${source}_missing`),
        },
        stdio: 'pipe',
      });
    } catch {
      failed = true;
    }
    expect(failed).toBe(true);
    expect(metrics()).toContain('taskflow_backup_failures_total{target="postgres"} 1');
    expect(metrics()).toContain(`taskflow_backup_last_success_timestamp_seconds{target="postgres"} ${lastSuccess}`);
    // The failed run leaves no partial archive behind.
    expect(fs.readdirSync(path.join(backupRoot, 'postgres', 'full')).filter((f) => f.includes('_missing'))).toEqual([]);
  });

  it('the comparison is sensitive: one changed value changes that table checksum only', async () => {
    const before = await withPg(databaseUrl(source), fingerprintTables);
    await withPg(databaseUrl(source), (c) =>
      c.query(`UPDATE tasks SET status = 'done' WHERE id = 1 AND status <> 'done'`),
    );
    await withPg(databaseUrl(source), (c) => c.query(`UPDATE tasks SET title = title || '!' WHERE id = 2`));
    const after = await withPg(databaseUrl(source), fingerprintTables);
    const changed = after.filter((t, i) => t.checksum !== before[i].checksum).map((t) => t.table);
    expect(changed).toEqual(['public.tasks']);
    expect(after.map((t) => t.rows)).toEqual(before.map((t) => t.rows));
  });

  it('refuses to restore an archive whose checksum does not match', () => {
    const archive = fs.readdirSync(path.join(backupRoot, 'postgres', 'full')).find((f) => f.endsWith('.enc'));
    expect(archive).toBeDefined();
    const file = path.join(backupRoot, 'postgres', 'full', archive!);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(file, bytes);
    let stderr = '';
    try {
      execFileSync('bash', [repoPath('scripts/backup/restore-postgres.sh'), file, 'postgres_should_not_be_touched'], {
        env: { ...process.env, DATABASE_URL: adminUrl(), BACKUP_ENCRYPTION_KEY_FILE: keyFile },
        stdio: 'pipe',
      });
    } catch (error) {
      stderr = String((error as { stderr: Buffer }).stderr);
    }
    expect(stderr).toContain('checksum mismatch');
  });
});
