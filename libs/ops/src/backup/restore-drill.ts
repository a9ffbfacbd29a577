/**
 * Restore drill (seed 003 "Recovery Testing"): backs up a live database with the production backup
 * script, restores the archive into a scratch database with the production restore script, and
 * proves the copy is identical: per-table row counts and per-table checksums (md5 over the rows'
 * text, in a stable order), plus sequence positions. Prints backup size, backup and restore time.
 *
 *   node dist/libs/ops/src/backup/restore-drill.js postgres [--source postgres://…/taskflow] [--keep]
 *   scripts/backup/restore-drill.sh postgres
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { backupScript } from './scripts';

const exec = promisify(execFile);

export interface TableFingerprint {
  table: string;
  rows: number;
  checksum: string;
}

export interface DrillTableResult {
  table: string;
  sourceRows: number;
  restoredRows: number;
  sourceChecksum: string;
  restoredChecksum: string;
  match: boolean;
}

export interface PostgresDrillResult {
  ok: boolean;
  archive: string;
  sizeBytes: number;
  backupMs: number;
  restoreMs: number;
  scratchDatabase: string;
  tables: DrillTableResult[];
  sequences: { sequence: string; source: string; restored: string; match: boolean }[];
}

export interface PostgresDrillOptions {
  /** URL of the live database to back up. */
  sourceUrl: string;
  /** Where the drill's backup goes (default: BACKUP_ROOT or a temp dir). */
  backupRoot?: string;
  /** Name of the scratch database (default: <source>_drill_<timestamp>). */
  scratchDatabase?: string;
  /** Keep the scratch database for inspection. */
  keepScratch?: boolean;
  /** Extra environment for the scripts (e.g. KAFKA_BROKERS, BACKUP_ENCRYPTION_KEY). */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Row count and md5 of every user table (rows as text, sorted), keyed by schema.table. */
export async function fingerprintTables(client: Client): Promise<TableFingerprint[]> {
  const { rows: tables } = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg_toast%'
      ORDER BY 1, 2`,
  );
  const out: TableFingerprint[] = [];
  for (const { schema, name } of tables) {
    const qualified = `${quoteIdent(schema)}.${quoteIdent(name)}`;
    const { rows } = await client.query<{ rows: string; checksum: string | null }>(
      `SELECT count(*)::text AS rows, md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS checksum
         FROM ${qualified} t`,
    );
    out.push({ table: `${schema}.${name}`, rows: Number(rows[0].rows), checksum: rows[0].checksum ?? 'empty' });
  }
  return out;
}

export async function sequencePositions(client: Client): Promise<Record<string, string>> {
  const { rows } = await client.query<{ name: string; value: string | null }>(
    `SELECT schemaname || '.' || sequencename AS name, last_value::text AS value FROM pg_sequences ORDER BY 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.value ?? 'unset']));
}

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function runPostgresDrill(options: PostgresDrillOptions): Promise<PostgresDrillResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const sourceDb = decodeURIComponent(new URL(options.sourceUrl).pathname.slice(1));
  const scratch =
    options.scratchDatabase ?? `${sourceDb}_drill_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`;
  const backupRoot = options.backupRoot ?? process.env.BACKUP_ROOT ?? fs.mkdtempSync('/tmp/taskflow-drill-');
  const env = { ...process.env, ...options.env, BACKUP_ROOT: backupRoot, DATABASE_URL: options.sourceUrl };
  const adminUrl = withDatabase(options.sourceUrl, 'postgres');

  log(`restore drill: source database ${sourceDb}, scratch database ${scratch}`);
  const sourceTables = await withClient(options.sourceUrl, fingerprintTables);
  const sourceSequences = await withClient(options.sourceUrl, sequencePositions);

  const backupStart = Date.now();
  const backup = await exec('bash', [backupScript('backup-postgres.sh')], { env, maxBuffer: 16 << 20 });
  const backupMs = Date.now() - backupStart;
  const archive = backup.stdout.trim().split('\n').pop() ?? '';
  if (!archive || !fs.existsSync(archive)) throw new Error(`backup produced no archive: ${backup.stderr}`);
  const sizeBytes = fs.statSync(archive).size;

  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(scratch)} TEMPLATE template0`));
  try {
    const restoreStart = Date.now();
    await exec('bash', [backupScript('restore-postgres.sh'), archive, scratch], { env, maxBuffer: 16 << 20 });
    const restoreMs = Date.now() - restoreStart;

    const scratchUrl = withDatabase(options.sourceUrl, scratch);
    const restoredTables = await withClient(scratchUrl, fingerprintTables);
    const restoredSequences = await withClient(scratchUrl, sequencePositions);
    const restoredByName = new Map(restoredTables.map((t) => [t.table, t]));

    const tables: DrillTableResult[] = sourceTables.map((s) => {
      const r = restoredByName.get(s.table);
      return {
        table: s.table,
        sourceRows: s.rows,
        restoredRows: r?.rows ?? -1,
        sourceChecksum: s.checksum,
        restoredChecksum: r?.checksum ?? 'missing',
        match: !!r && r.rows === s.rows && r.checksum === s.checksum,
      };
    });
    for (const extra of restoredTables.filter((t) => !sourceTables.some((s) => s.table === t.table))) {
      tables.push({
        table: extra.table,
        sourceRows: -1,
        restoredRows: extra.rows,
        sourceChecksum: 'missing',
        restoredChecksum: extra.checksum,
        match: false,
      });
    }
    const sequences = Object.entries(sourceSequences).map(([sequence, source]) => ({
      sequence,
      source,
      restored: restoredSequences[sequence] ?? 'missing',
      match: restoredSequences[sequence] === source,
    }));
    const ok = tables.every((t) => t.match) && sequences.every((s) => s.match);

    log(`backup:  ${archive}`);
    log(`backup size: ${sizeBytes} bytes (${(sizeBytes / 1024).toFixed(1)} KiB), backup time: ${backupMs} ms`);
    log(`restore time: ${restoreMs} ms`);
    for (const t of tables) {
      log(
        `  ${t.match ? 'OK  ' : 'DIFF'} ${t.table.padEnd(40)} rows ${t.sourceRows} -> ${t.restoredRows}  md5 ${t.sourceChecksum.slice(0, 12)} -> ${t.restoredChecksum.slice(0, 12)}`,
      );
    }
    for (const s of sequences)
      log(`  ${s.match ? 'OK  ' : 'DIFF'} sequence ${s.sequence} ${s.source} -> ${s.restored}`);
    log(`restore drill ${ok ? 'PASSED' : 'FAILED'}: ${tables.length} tables, ${sequences.length} sequences compared`);
    return { ok, archive, sizeBytes, backupMs, restoreMs, scratchDatabase: scratch, tables, sequences };
  } finally {
    if (!options.keepScratch) {
      await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch)} WITH (FORCE)`));
    }
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const target = args[0] ?? 'postgres';
  const option = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (target !== 'postgres') {
    throw new Error(`unknown drill target ${target}: use "postgres" (MongoDB: scripts/backup/restore-drill.sh mongo)`);
  }
  const sourceUrl = option('source') ?? process.env.DATABASE_URL;
  if (!sourceUrl) throw new Error('set DATABASE_URL or pass --source postgres://…/taskflow');
  const result = await runPostgresDrill({ sourceUrl, keepScratch: args.includes('--keep') });
  process.exit(result.ok ? 0 : 1);
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(`restore drill failed: ${error.message}`);
    process.exit(1);
  });
}
