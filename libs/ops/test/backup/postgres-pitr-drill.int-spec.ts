import { PitrDrill, pitrDrill, PitrDrillResult, postgresBinDir } from '../../src/backup/pitr-drill';

jest.setTimeout(180_000);

/**
 * Point-in-time recovery on a private PostgreSQL cluster (initdb in a temp dir, own port): our WAL
 * archiving configuration (enable-wal-archiving.sh), our base backup (backup-postgres-base.sh), two
 * batches of writes, recovery to the time between them. The shared server on 5432 is not touched.
 */
function binariesMissing(): string | undefined {
  try {
    postgresBinDir();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const missing = binariesMissing();
if (missing) console.log(`SKIPPED PostgreSQL PITR drill: ${missing}`);

(missing ? describe.skip : describe)('PostgreSQL point-in-time recovery drill (private cluster)', () => {
  const lines: string[] = [];
  let drill: PitrDrill;
  let result: PitrDrillResult;

  beforeAll(async () => {
    drill = pitrDrill({ rowsPerBatch: 5000, transactionsPerBatch: 5, log: (line) => lines.push(line) });
    try {
      result = await drill.run();
    } finally {
      console.log(lines.join('\n'));
    }
  });

  afterAll(async () => {
    await drill?.cleanup();
  });

  it('recovers batch A in full: same row count and checksum as right before the target time', () => {
    expect(result.batchA.rows).toBe(5000);
    expect(result.recovered.rows).toBe(result.batchA.rows);
    expect(result.recovered.checksum).toBe(result.batchA.checksum);
  });

  it('recovers nothing of batch B: no new rows, A rows neither updated nor deleted', () => {
    // B added 5000 rows and deleted 500 of A's, and changed others: the live table had moved on.
    expect(result.afterBatchB.rows).toBe(9500);
    expect(result.afterBatchB.checksum).not.toBe(result.batchA.checksum);
    expect(result.batchBRowsRecovered).toBe(0);
    // Replay stopped at the target (not at the end of the archive): PostgreSQL says so itself.
    expect(result.stopLine).toMatch(/^recovery stopping before commit of transaction \d+, time /);
    expect(result.ok).toBe(true);
  });

  it('reports base backup size, archived WAL and recovery time', () => {
    expect(result.baseBackup).toMatch(/\/postgres\/incremental\/base_incremental_\d{8}T\d{6}Z\.tar$/);
    expect(result.baseBackupBytes).toBeGreaterThan(0);
    expect(result.walSegments).toBeGreaterThan(0);
    expect(lines.some((l) => /^base backup size: \d+ bytes/.test(l))).toBe(true);
    expect(lines.some((l) => /^WAL archived: \d+ segments, \d+ bytes/.test(l))).toBe(true);
    expect(lines.some((l) => /^recovery time: \d+ ms/.test(l))).toBe(true);
  });
});
