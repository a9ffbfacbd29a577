/**
 * MongoDB restore drill: dumps the live audit database with scripts/backup/backup-mongo.sh, restores it
 * under a scratch database name (mongorestore --nsFrom/--nsTo), and compares per-collection document
 * counts and checksums (sha256 over the documents as canonical EJSON, sorted by _id).
 * Needs MongoDB Database Tools (mongodump/mongorestore) on PATH.
 *
 *   MONGO_URL=mongodb://…/taskflow_audit node dist/libs/ops/src/backup/mongo-restore-drill.js [--keep]
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { BSON, Db, MongoClient } from 'mongodb';
import { backupScript } from './scripts';

const exec = promisify(execFile);

/** Why the drill cannot run on this machine, or undefined when it can. */
export function mongoToolsMissing(): string | undefined {
  for (const tool of ['mongodump', 'mongorestore']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' });
    } catch {
      return `${tool} is not installed (MongoDB Database Tools; not packaged by Debian)`;
    }
  }
  return undefined;
}

export async function fingerprintCollections(db: Db): Promise<Record<string, { count: number; sha256: string }>> {
  const out: Record<string, { count: number; sha256: string }> = {};
  const collections = (await db.listCollections({}, { nameOnly: true }).toArray())
    .map((c) => c.name)
    .filter((name) => !name.startsWith('system.'))
    .sort();
  for (const name of collections) {
    const hash = createHash('sha256');
    let count = 0;
    for await (const doc of db.collection(name).find({}).sort({ _id: 1 })) {
      hash.update(BSON.EJSON.stringify(doc, { relaxed: false }));
      hash.update('\n');
      count += 1;
    }
    out[name] = { count, sha256: hash.digest('hex') };
  }
  return out;
}

export interface MongoDrillResult {
  ok: boolean;
  archive: string;
  sizeBytes: number;
  backupMs: number;
  restoreMs: number;
  collections: { name: string; source: string; restored: string; match: boolean }[];
}

export async function runMongoDrill(options: {
  mongoUrl: string;
  backupRoot?: string;
  keepScratch?: boolean;
  log?: (line: string) => void;
}): Promise<MongoDrillResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const missing = mongoToolsMissing();
  if (missing) throw new Error(missing);
  const sourceDb = new URL(options.mongoUrl).pathname.slice(1) || 'taskflow_audit';
  const scratchDb = `${sourceDb}_drill_${Date.now()}`;
  const backupRoot = options.backupRoot ?? fs.mkdtempSync('/tmp/taskflow-mongo-drill-');
  const env = { ...process.env, BACKUP_ROOT: backupRoot, MONGO_URL: options.mongoUrl, MONGO_SOURCE_DB: sourceDb };

  const client = new MongoClient(options.mongoUrl);
  await client.connect();
  try {
    const source = await fingerprintCollections(client.db(sourceDb));
    const backupStart = Date.now();
    const backup = await exec('bash', [backupScript('backup-mongo.sh')], { env, maxBuffer: 16 << 20 });
    const backupMs = Date.now() - backupStart;
    const archive = backup.stdout.trim().split('\n').pop() ?? '';
    const sizeBytes = fs.statSync(archive).size;

    const restoreStart = Date.now();
    await exec('bash', [backupScript('restore-mongo.sh'), archive, '--into', scratchDb], {
      env,
      maxBuffer: 16 << 20,
    });
    const restoreMs = Date.now() - restoreStart;
    try {
      const restored = await fingerprintCollections(client.db(scratchDb));
      const names = [...new Set([...Object.keys(source), ...Object.keys(restored)])].sort();
      const collections = names.map((name) => {
        const s = source[name];
        const r = restored[name];
        return {
          name,
          source: s ? `${s.count}/${s.sha256.slice(0, 12)}` : 'missing',
          restored: r ? `${r.count}/${r.sha256.slice(0, 12)}` : 'missing',
          match: !!s && !!r && s.count === r.count && s.sha256 === r.sha256,
        };
      });
      const ok = collections.every((c) => c.match);
      log(`backup size: ${sizeBytes} bytes, backup time: ${backupMs} ms, restore time: ${restoreMs} ms`);
      for (const c of collections) log(`  ${c.match ? 'OK  ' : 'DIFF'} ${c.name} ${c.source} -> ${c.restored}`);
      log(`mongo restore drill ${ok ? 'PASSED' : 'FAILED'}`);
      return { ok, archive, sizeBytes, backupMs, restoreMs, collections };
    } finally {
      if (!options.keepScratch) await client.db(scratchDb).dropDatabase();
    }
  } finally {
    await client.close();
  }
}

if (require.main === module) {
  const mongoUrl = process.env.MONGO_URL;
  if (!mongoUrl) {
    console.error('set MONGO_URL');
    process.exit(1);
  }
  runMongoDrill({ mongoUrl, keepScratch: process.argv.includes('--keep') })
    .then((r) => process.exit(r.ok ? 0 : 1))
    .catch((error: Error) => {
      console.error(`mongo restore drill failed: ${error.message}`);
      process.exit(1);
    });
}
