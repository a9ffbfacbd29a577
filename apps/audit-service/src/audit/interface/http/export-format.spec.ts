import { AUDIT_CSV_COLUMNS } from '@taskflow/contracts';
import { EventLog } from '../../domain/event-log';
import { csvCell, toCsv, UTF8_BOM } from './export-format';

async function* from<T>(items: T[]) {
  yield* items;
}

async function collect(lines: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const line of lines) text += line;
  return text;
}

const at = new Date('2026-03-01T10:00:00.000Z');
const event: EventLog = {
  eventId: '0192f0c4-8f6e-7cc0-9a55-3b8c7f1a2b3c',
  type: 'task.created',
  schemaVersion: 1,
  actorId: 'u-1',
  entityType: 'task',
  entityId: 't-1',
  payload: { title: 'Ünïcödé, "quoted"\nline' },
  metadata: { timestamp: at, ipAddress: '10.0.0.7', userAgent: 'curl/8.5', sessionId: 's-1' },
  correlationId: 'c-1',
  causationId: 'e-0',
  createdAt: at,
  updatedAt: at,
  expiresAt: at,
};

describe('CSV export', () => {
  it('should quote per RFC 4180 and neutralise formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell('-1')).toBe('"\'-1"');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(at)).toBe('2026-03-01T10:00:00.000Z');
  });

  it('should write the header, the metadata columns and CRLF rows, with an optional BOM', async () => {
    const plain = await collect(toCsv(from([event])));
    const [header, row, end] = plain.split('\r\n');
    expect(header).toBe(AUDIT_CSV_COLUMNS.join(','));
    expect(end).toBe('');
    expect(row).toBe(
      [
        event.eventId,
        'task.created',
        '1',
        '2026-03-01T10:00:00.000Z',
        'u-1',
        'task',
        't-1',
        'c-1',
        '"{""title"":""Ünïcödé, \\""quoted\\""\\nline""}"',
        'e-0',
        '2026-03-01T10:00:00.000Z',
        '10.0.0.7',
        'curl/8.5',
        's-1',
      ].join(','),
    );
    const withBom = await collect(toCsv(from([event]), { bom: true }));
    expect(withBom).toBe(UTF8_BOM + plain);
    expect(Buffer.from(withBom).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('should leave the cells of absent metadata empty', async () => {
    const bare = { ...event, causationId: undefined, metadata: { timestamp: at } };
    const row = (await collect(toCsv(from([bare])))).split('\r\n')[1];
    expect(row.endsWith(',,2026-03-01T10:00:00.000Z,,,')).toBe(true);
  });
});
