import { AUDIT_CSV_COLUMNS } from '@taskflow/contracts';
import { EventLog } from '../../domain/event-log';

/** UTF-8 byte-order mark: tells spreadsheet tools the file is UTF-8 (else many read it as Windows-1252). */
export const UTF8_BOM = '\uFEFF';

/** One stored event per line (NDJSON), as stored (dates ISO 8601). */
export async function* toNdjson(docs: AsyncIterable<EventLog>): AsyncGenerator<string> {
  for await (const doc of docs) yield `${JSON.stringify(doc)}\n`;
}

/**
 * RFC 4180 CSV of `AUDIT_CSV_COLUMNS` (header row, CRLF line ends, `metadata.*` flattened, the payload as JSON),
 * optionally preceded by the UTF-8 BOM. One row per yielded string, so the caller streams with backpressure.
 */
export async function* toCsv(docs: AsyncIterable<EventLog>, { bom = false } = {}): AsyncGenerator<string> {
  yield `${bom ? UTF8_BOM : ''}${AUDIT_CSV_COLUMNS.join(',')}\r\n`;
  for await (const doc of docs)
    yield `${AUDIT_CSV_COLUMNS.map((column) => csvCell(cellValue(doc, column))).join(',')}\r\n`;
}

function cellValue(doc: EventLog, column: (typeof AUDIT_CSV_COLUMNS)[number]): unknown {
  if (column.startsWith('metadata.')) {
    return doc.metadata?.[column.slice('metadata.'.length) as keyof EventLog['metadata']];
  }
  return doc[column as keyof EventLog];
}

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote, CR or LF, quotes doubled. A value starting with
 * = + - @ TAB or CR is prefixed with `'` and quoted (OWASP "CSV injection"), so a spreadsheet shows it as text.
 * Dates become ISO 8601, objects JSON; null and undefined an empty cell.
 */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text =
    value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) || safe !== text ? `"${safe.replace(/"/g, '""')}"` : safe;
}
