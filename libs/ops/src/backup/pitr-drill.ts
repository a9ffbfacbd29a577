/**
 * Point-in-time recovery drill (seed 003 "Recovery Testing" for the WAL archive): on a private
 * PostgreSQL cluster (never the application's server) it turns on WAL archiving with
 * scripts/backup/enable-wal-archiving.sh, takes a base backup with scripts/backup/backup-postgres-base.sh,
 * commits batch A, notes the time, commits batch B (new rows, plus updates and deletes of A's rows),
 * then restores the base backup into a new data directory and replays the archive up to the noted
 * time (the steps in the header of backup-postgres-base.sh). Passes when the recovered table equals
 * batch A exactly (row count and checksum) and holds nothing of batch B.
 *
 *   node dist/libs/ops/src/backup/pitr-drill.js        (needs the PostgreSQL server binaries, pg_config --bindir)
 */
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort, waitUntil } from '@taskflow/infra';
import { fingerprintTables, TableFingerprint } from './restore-drill';
import { backupScript } from './scripts';

const exec = promisify(execFile);
const WAL_SEGMENT = /^[0-9A-F]{24}$/;

/** The server binaries (initdb, pg_ctl) of the PostgreSQL whose client tools are on PATH. */
export function postgresBinDir(): string {
  const bindir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  for (const tool of ['initdb', 'pg_ctl', 'postgres']) {
    if (!fs.existsSync(path.join(bindir, tool))) throw new Error(`${tool} not found in ${bindir} (pg_config --bindir)`);
  }
  return bindir;
}

/** PostgreSQL refuses to run as root: then the server runs as the `postgres` system user. */
function serverIds(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('running as root and there is no "postgres" user to run the private PostgreSQL as');
  }
}

/** A PostgreSQL cluster of its own in a data directory, on 127.0.0.1:<port>, trust authentication. */
export class PrivateCluster {
  private readonly ids = serverIds();

  constructor(
    readonly bindir: string,
    readonly dataDir: string,
    readonly port: number,
    /** Directory for the unix socket and the server log, writable by the server user. */
    readonly runDir: string,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get logFile(): string {
    return path.join(this.runDir, `postgres-${this.port}.log`);
  }

  /** Makes `dir` (recursively) owned by the server user, as PostgreSQL requires for its files. */
  own(dir: string): void {
    if (this.ids.uid === undefined) return;
    execFileSync('chown', ['-R', `${this.ids.uid}:${this.ids.gid}`, dir]);
  }

  private run(tool: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
    return exec(path.join(this.bindir, tool), args, { ...this.ids, cwd: this.runDir, maxBuffer: 16 << 20 });
  }

  async initdb(): Promise<void> {
    fs.mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    this.own(this.dataDir);
    await this.run('initdb', [
      `--pgdata=${this.dataDir}`,
      '--username=postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
    ]);
  }

  /** Starts the server and waits until it accepts connections (a hot standby counts). */
  async start(): Promise<void> {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.runDir} -c fsync=off`;
    try {
      await this.run('pg_ctl', ['start', '-w', '-t', '120', '-D', this.dataDir, '-l', this.logFile, '-o', options]);
    } catch (error) {
      throw new Error(`PostgreSQL in ${this.dataDir} did not start: ${(error as Error).message}\n${this.logTail()}`, {
        cause: error,
      });
    }
  }

  /** Stops the server if it runs; fast shutdown, else immediate. Safe to call twice. */
  async stop(): Promise<void> {
    if (!fs.existsSync(path.join(this.dataDir, 'postmaster.pid'))) return;
    await this.run('pg_ctl', ['stop', '-w', '-t', '60', '-D', this.dataDir, '-m', 'fast']).catch(() =>
      this.run('pg_ctl', ['stop', '-w', '-D', this.dataDir, '-m', 'immediate']).catch(() => undefined),
    );
  }

  logTail(lines = 20): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no server log)';
    }
  }

  async query<T extends object = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.url });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }
}

export interface PitrDrillResult {
  ok: boolean;
  /** The time recovered to, as the server printed it (timestamptz text). */
  targetTime: string;
  baseBackup: string;
  baseBackupBytes: number;
  walSegments: number;
  walBytes: number;
  /** From starting the restored server until recovery ended (promoted after the pause at the target). */
  recoveryMs: number;
  batchA: TableFingerprint;
  afterBatchB: TableFingerprint;
  recovered: TableFingerprint;
  /** Rows of batch B (ids above batch A's) found in the recovered table: must be 0. */
  batchBRowsRecovered: number;
  /** The restored server's own log line "recovery stopping before commit of transaction …". */
  stopLine: string;
}

export interface PitrDrillOptions {
  /** Temp directory for both clusters, the WAL archive and the backups (removed by cleanup()). */
  workDir?: string;
  /** Rows per batch and transactions per batch. */
  rowsPerBatch?: number;
  transactionsPerBatch?: number;
  log?: (line: string) => void;
}

export interface PitrDrill {
  run(): Promise<PitrDrillResult>;
  /** Stops both clusters and removes the work directory; also after a failed run. */
  cleanup(): Promise<void>;
}

const TABLE = 'public.drill_tasks';

async function fingerprint(cluster: PrivateCluster): Promise<TableFingerprint> {
  const client = new Client({ connectionString: cluster.url });
  await client.connect();
  try {
    const found = (await fingerprintTables(client)).find((t) => t.table === TABLE);
    if (!found) throw new Error(`${TABLE} missing on port ${cluster.port}`);
    return found;
  } finally {
    await client.end();
  }
}

function walArchiveStats(dir: string): { segments: number; bytes: number } {
  const segments = fs.readdirSync(dir).filter((f) => WAL_SEGMENT.test(f));
  return {
    segments: segments.length,
    bytes: segments.reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0),
  };
}

/** Writes `transactions` commits of rows with ids (first, first + rows]. */
async function writeBatch(cluster: PrivateCluster, batch: string, first: number, rows: number, transactions: number) {
  const per = Math.ceil(rows / transactions);
  for (let from = first + 1; from <= first + rows; from += per) {
    const to = Math.min(first + rows, from + per - 1);
    await cluster.query(
      `INSERT INTO drill_tasks (id, batch, title, payload)
         SELECT g, $1, 'task ' || g, jsonb_build_object('n', g, 'batch', $1::text) FROM generate_series($2::int, $3::int) g`,
      [batch, from, to],
    );
  }
}

export function pitrDrill(options: PitrDrillOptions = {}): PitrDrill {
  const log = options.log ?? ((line: string) => console.log(line));
  const rows = options.rowsPerBatch ?? 5000;
  const transactions = options.transactionsPerBatch ?? 5;
  const workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tf-pitr-'));
  const walDir = path.join(workDir, 'wal-archive');
  const backupRoot = path.join(workDir, 'backups');
  const clusters: PrivateCluster[] = [];

  async function run(): Promise<PitrDrillResult> {
    const bindir = postgresBinDir();
    fs.mkdirSync(walDir, { recursive: true });
    fs.mkdirSync(backupRoot, { recursive: true });
    const source = new PrivateCluster(bindir, path.join(workDir, 'source'), await freePort(), workDir);
    clusters.push(source);
    source.own(workDir);
    await source.initdb();
    await source.start();
    log(`PITR drill: private PostgreSQL ${bindir} on port ${source.port}, work dir ${workDir}`);

    // Our archiving configuration, applied by our script; archive_mode needs the restart.
    const scriptEnv = {
      ...process.env,
      PATH: `${bindir}:${process.env.PATH}`, // pg_basebackup of the same major version as the server
      DATABASE_URL: source.url,
      WAL_ARCHIVE_DIR: walDir,
      BACKUP_ROOT: backupRoot,
      BACKUP_EVENTS: 'off',
    };
    await exec('bash', [backupScript('enable-wal-archiving.sh')], { env: scriptEnv });
    source.own(walDir);
    await source.stop();
    await source.start();
    const [{ archive_mode }] = await source.query<{ archive_mode: string }>('SHOW archive_mode');
    if (archive_mode !== 'on') throw new Error(`archive_mode is ${archive_mode} after enable-wal-archiving.sh`);

    await source.query(
      `CREATE TABLE drill_tasks (id int PRIMARY KEY, batch text NOT NULL, title text NOT NULL, payload jsonb,
                                 updated_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
    );
    const backup = await exec('bash', [backupScript('backup-postgres-base.sh')], {
      env: scriptEnv,
      maxBuffer: 16 << 20,
    });
    const baseBackup = backup.stdout.trim().split('\n').pop() ?? '';
    if (!fs.existsSync(baseBackup)) throw new Error(`base backup produced no archive: ${backup.stderr}`);
    const baseBackupBytes = fs.statSync(baseBackup).size;

    await writeBatch(source, 'A', 0, rows, transactions);
    const batchA = await fingerprint(source);
    // Taken after A's last commit returned, so every commit of B is later.
    const [{ target }] = await source.query<{ target: string }>(`SELECT clock_timestamp()::text AS target`);
    await writeBatch(source, 'B', rows, rows, transactions);
    await source.query(`UPDATE drill_tasks SET title = title || ' (changed by B)' WHERE id % 10 = 0 AND id <= $1`, [
      rows,
    ]);
    await source.query(`DELETE FROM drill_tasks WHERE id % 10 = 5 AND id <= $1`, [rows]);
    const afterBatchB = await fingerprint(source);

    // Close the segment holding B so it is archived, and wait for the archiver to copy it.
    const [{ segment }] = await source.query<{ segment: string }>(`SELECT pg_walfile_name(pg_switch_wal()) AS segment`);
    await waitUntil(async () => fs.existsSync(path.join(walDir, segment)), {
      timeoutMs: 60_000,
      describe: `WAL segment ${segment} in the archive`,
    });
    await source.stop(); // the "lost" server
    const wal = walArchiveStats(walDir);

    // Restore: base backup (checksum verified) into an empty data directory, then replay to the target.
    const restored = new PrivateCluster(bindir, path.join(workDir, 'restored'), await freePort(), workDir);
    clusters.push(restored);
    execFileSync('sha256sum', ['--check', '--status', `${path.basename(baseBackup)}.sha256`], {
      cwd: path.dirname(baseBackup),
    });
    const unpacked = path.join(workDir, 'unpacked');
    fs.mkdirSync(unpacked);
    execFileSync('tar', ['-xf', baseBackup, '-C', unpacked]);
    fs.mkdirSync(restored.dataDir, { mode: 0o700 });
    execFileSync('tar', ['-xzf', path.join(unpacked, 'base.tar.gz'), '-C', restored.dataDir]);
    if (fs.existsSync(path.join(unpacked, 'pg_wal.tar.gz'))) {
      execFileSync('tar', ['-xzf', path.join(unpacked, 'pg_wal.tar.gz'), '-C', path.join(restored.dataDir, 'pg_wal')]);
    }
    fs.appendFileSync(
      path.join(restored.dataDir, 'postgresql.auto.conf'),
      `restore_command = 'cp ${walDir}/%f %p'\nrecovery_target_time = '${target}'\n`,
    );
    fs.writeFileSync(path.join(restored.dataDir, 'recovery.signal'), '');
    fs.chmodSync(restored.dataDir, 0o700);
    restored.own(restored.dataDir);

    const recoveryStart = Date.now();
    await restored.start();
    // recovery_target_action defaults to pause: wait for the pause at the target, then resume (= promote).
    await waitUntil(
      async () => {
        const [state] = await restored.query<{ recovering: boolean; paused: string | null }>(
          `SELECT pg_is_in_recovery() AS recovering,
                  CASE WHEN pg_is_in_recovery() THEN pg_get_wal_replay_pause_state() END AS paused`,
        );
        return !state.recovering || state.paused === 'paused';
      },
      { timeoutMs: 120_000, describe: 'recovery to reach the target time', failFast: () => failed(restored) },
    );
    const [{ recovering }] = await restored.query<{ recovering: boolean }>(`SELECT pg_is_in_recovery() AS recovering`);
    if (recovering) await restored.query('SELECT pg_wal_replay_resume()');
    await waitUntil(async () => !(await restored.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r'))[0].r, {
      timeoutMs: 120_000,
      describe: 'recovery to end after pg_wal_replay_resume()',
      failFast: () => failed(restored),
    });
    const recoveryMs = Date.now() - recoveryStart;
    const stopLine = /recovery stopping before .*/.exec(fs.readFileSync(restored.logFile, 'utf8'))?.[0] ?? 'none';

    const recovered = await fingerprint(restored);
    const [{ count }] = await restored.query<{ count: string }>(
      `SELECT count(*)::text AS count FROM drill_tasks WHERE id > $1 OR batch <> 'A'`,
      [rows],
    );
    const batchBRowsRecovered = Number(count);
    const ok = recovered.rows === batchA.rows && recovered.checksum === batchA.checksum && batchBRowsRecovered === 0;

    log(`target time: ${target} (between batch A and batch B)`);
    log(`base backup: ${baseBackup}`);
    log(`base backup size: ${baseBackupBytes} bytes (${(baseBackupBytes / 1048576).toFixed(1)} MiB)`);
    log(`WAL archived: ${wal.segments} segments, ${wal.bytes} bytes (${(wal.bytes / 1048576).toFixed(1)} MiB)`);
    log(`recovery time: ${recoveryMs} ms (start of the restored server until promoted)`);
    log(`server: ${stopLine}`);
    log(`  batch A      rows ${batchA.rows}  md5 ${batchA.checksum}`);
    log(`  after B      rows ${afterBatchB.rows}  md5 ${afterBatchB.checksum}`);
    log(`  recovered    rows ${recovered.rows}  md5 ${recovered.checksum}  batch-B rows ${batchBRowsRecovered}`);
    log(`PITR drill ${ok ? 'PASSED' : 'FAILED'}`);
    return {
      ok,
      targetTime: target,
      baseBackup,
      baseBackupBytes,
      walSegments: wal.segments,
      walBytes: wal.bytes,
      recoveryMs,
      batchA,
      afterBatchB,
      recovered,
      batchBRowsRecovered,
      stopLine,
    };
  }

  function failed(cluster: PrivateCluster): string | undefined {
    return fs.existsSync(path.join(cluster.dataDir, 'postmaster.pid'))
      ? undefined
      : `restored PostgreSQL exited:\n${cluster.logTail()}`;
  }

  async function cleanup(): Promise<void> {
    for (const cluster of clusters) await cluster.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }

  return { run, cleanup };
}

if (require.main === module) {
  const drill = pitrDrill();
  drill
    .run()
    .then(
      (result) => (process.exitCode = result.ok ? 0 : 1),
      (error: Error) => {
        console.error(`PITR drill failed: ${error.message}`);
        process.exitCode = 1;
      },
    )
    .finally(() => drill.cleanup());
}
