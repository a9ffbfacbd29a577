// `npm run test:faults` (= node tools/run.js test:faults): the fault-injection suite of docs/faults.md.
// Resolves only PostgreSQL (the scratch database lives there; Kafka, MongoDB and Redis are private servers the
// suite starts and kills itself), runs libs/fault-suite/jest.faults.config.js in band with a JSON report in
// .reports/faults.json, prints the per-scenario table and "N passed, N failed".
'use strict';

const fs = require('node:fs');
const path = require('node:path');

module.exports = async function testFaults(args, kit) {
  const report = path.join(kit.ROOT, '.reports', 'faults.json');
  const table = path.join(kit.ROOT, '.reports', 'faults-table.jsonl');
  const pids = path.join(kit.ROOT, '.reports', 'faults-pids.tsv');
  const { infraUp, infraDown, describeBackend } = kit.infra();
  fs.mkdirSync(path.dirname(report), { recursive: true });
  fs.rmSync(report, { force: true });
  fs.rmSync(table, { force: true });
  fs.rmSync(pids, { force: true });

  const up = await infraUp({ only: ['postgres'], log: console.log });
  let code;
  try {
    console.log(`[faults] ${describeBackend(up.backends.postgres)}`);
    const postgres = up.backends.postgres;
    const jest = path.join(kit.ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
    code = await kit.runChild(
      process.execPath,
      [
        jest,
        '-c',
        'libs/fault-suite/jest.faults.config.js',
        '--runInBand',
        '--json',
        `--outputFile=${report}`,
        '--forceExit', // as in `npm test` (tools/run.js runJest)
        ...args,
      ],
      {
        ...process.env,
        DATABASE_URL: postgres.url,
        TASKFLOW_POSTGRES_PROVIDER: postgres.provider,
        FAULTS_TABLE_FILE: table,
        TASKFLOW_SYSTEM_PIDS: pids,
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
      },
    );
  } finally {
    killStrays(pids);
    if (up.startedNow.length) await infraDown({ only: up.startedNow, log: console.log });
  }

  const { formatTable, readRows } = require(path.join(kit.ROOT, 'libs', 'fault-suite', 'src', 'report.ts'));
  const rows = readRows(table);
  if (rows.length) console.log(`\n${formatTable(rows)}`);
  kit.printTotals(report);
  return code;
};

/**
 * The suite's afterAll stops everything it started; if Jest itself was killed or crashed, this stops what is
 * left: every process whose environment, command line or working directory is in a system folder recorded
 * in `file` (each
 * private system has its own temp folder, so no other process matches).
 */
function killStrays(file) {
  if (!fs.existsSync(file)) return;
  const dirs = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  fs.rmSync(file, { force: true });
  const read = (pid, what) => {
    try {
      return fs.readFileSync(`/proc/${pid}/${what}`, 'utf8');
    } catch {
      return '';
    }
  };
  const cwd = (pid) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      return '';
    }
  };
  const procs = fs.existsSync('/proc') ? fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)) : [];
  for (const pid of procs) {
    if (Number(pid) === process.pid) continue;
    // redis-server rewrites its title over argv and environ: its working directory (in the folder) marks it.
    const marks = `${read(pid, 'environ')}\0${read(pid, 'cmdline')}\0${cwd(pid)}/`;
    if (!dirs.some((dir) => marks.includes(dir))) continue;
    const command = read(pid, 'cmdline').split('\0').slice(0, 4).join(' ');
    try {
      process.kill(Number(pid), 'SIGCONT');
      process.kill(Number(pid), 'SIGKILL');
      console.log(`[faults] killed a process the suite left behind: ${pid} ${command}`);
    } catch {
      /* already gone */
    }
  }
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
}
