import fs from 'node:fs';
import path from 'node:path';
import type { ScenarioResult } from './scenario';

export type ReportRow = Omit<ScenarioResult, 'records'>;

/** Where each finished scenario appends its row (read by tools/commands/test-faults.js). */
export const TABLE_FILE =
  process.env.FAULTS_TABLE_FILE ?? path.resolve(__dirname, '../../../.reports/faults-table.jsonl');

const seconds = (ms: number | undefined) => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`);

const COLUMNS: [string, (row: ReportRow) => string][] = [
  ['scenario', (r) => r.scenario],
  ['attempted', (r) => String(r.attempted)],
  ['acked', (r) => String(r.acknowledged)],
  ['5xx', (r) => String(r.fiveXx)],
  ['no answer', (r) => String(r.noAnswer)],
  ['lost', (r) => String(r.lost)],
  ['dup', (r) => String(r.duplicated)],
  ['restart', (r) => seconds(r.removeMs)],
  ['gap', (r) => seconds(r.gapMs)],
  ['recover', (r) => seconds(r.recoverMs)],
  ['outbox lag 0', (r) => seconds(r.outboxPublishedMs)],
  ['audit lag 0', (r) => seconds(r.auditCaughtUpMs)],
  ['other', (r) => other(r)],
];

function other(row: ReportRow): string {
  const parts = Object.entries(row.failures).map(([status, n]) => `${status === '0' ? 'timeout' : status}×${n}`);
  if (row.unexpected) parts.push(`unexpected ${row.unexpected}`);
  if (row.unaudited) parts.push(`unaudited ${row.unaudited}`);
  if (row.halfWritten) parts.push(`half-written ${row.halfWritten}`);
  if (row.committedUnacknowledged) parts.push(`committed-unacked ${row.committedUnacknowledged}`);
  return parts.join(' ') || '-';
}

export function formatTable(rows: ReportRow[]): string {
  const cells = [COLUMNS.map(([name]) => name), ...rows.map((row) => COLUMNS.map(([, cell]) => cell(row)))];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((line) => line[i].length)));
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
  return [line(cells[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join(
    '\n',
  );
}

/** Appends the row to TABLE_FILE and prints it (outside Jest's console decoration). */
export function recordRow(result: ScenarioResult): ReportRow {
  const { records, ...row } = result;
  const samples = records.filter((r) => r.status < 200 || r.status >= 300).slice(0, 5);
  if (samples.length) process.stdout.write(`failed writes (first 5): ${JSON.stringify(samples)}\n`);
  fs.mkdirSync(path.dirname(TABLE_FILE), { recursive: true });
  fs.appendFileSync(TABLE_FILE, `${JSON.stringify(row)}\n`);
  process.stdout.write(`\n${formatTable([row])}\n`);
  return row;
}

export function readRows(file = TABLE_FILE): ReportRow[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ReportRow);
}
