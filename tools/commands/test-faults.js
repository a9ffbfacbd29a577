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
  const { infraUp, infraDown, describeBackend } = kit.infra();
  fs.mkdirSync(path.dirname(report), { recursive: true });
  fs.rmSync(report, { force: true });
  fs.rmSync(table, { force: true });

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
        ...args,
      ],
      {
        ...process.env,
        DATABASE_URL: postgres.url,
        TASKFLOW_POSTGRES_PROVIDER: postgres.provider,
        FAULTS_TABLE_FILE: table,
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
      },
    );
  } finally {
    if (up.startedNow.length) await infraDown({ only: up.startedNow, log: console.log });
  }

  const { formatTable, readRows } = require(path.join(kit.ROOT, 'libs', 'fault-suite', 'src', 'report.ts'));
  const rows = readRows(table);
  if (rows.length) console.log(`\n${formatTable(rows)}`);
  kit.printTotals(report);
  return code;
};
