import { recordAtEnd } from './audited-reads';

async function* source(rows: number[], failAt?: number) {
  for (const [index, row] of rows.entries()) {
    if (index === failAt) throw new Error('source failed');
    yield row;
  }
}

describe('recordAtEnd (the export count of audit.read)', () => {
  it('should record the rows after the last one, before the stream ends', async () => {
    const recorded: number[] = [];
    const seen: number[] = [];
    for await (const row of recordAtEnd(source([1, 2, 3]), async (count) => void recorded.push(count))) {
      seen.push(row);
      expect(recorded).toEqual([]);
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(recorded).toEqual([3]);
  });

  it('should fail the stream when the record fails at the end', async () => {
    const rows = recordAtEnd(source([1, 2]), async () => {
      throw new Error('kafka down');
    });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const row of rows) seen.push(row);
      })(),
    ).rejects.toThrow('kafka down');
    expect(seen).toEqual([1, 2]);
  });

  it('should record the rows handed over when the consumer stops early, and nothing when the source fails first', async () => {
    const recorded: number[] = [];
    for await (const row of recordAtEnd(source([1, 2, 3, 4]), async (count) => void recorded.push(count))) {
      if (row === 2) break;
    }
    expect(recorded).toEqual([2]);

    const none: number[] = [];
    const failing = recordAtEnd(source([1], 0), async (count) => void none.push(count));
    await expect(
      (async () => {
        for await (const _ of failing) void _;
      })(),
    ).rejects.toThrow('source failed');
    expect(none).toEqual([]);
  });
});
