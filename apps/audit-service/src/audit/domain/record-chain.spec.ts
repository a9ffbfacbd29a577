import { ChainBreakView } from '@taskflow/contracts';
import { linkCheckpoints, SegmentVerifier } from './chain-verifier';
import { EventLog } from './event-log';
import {
  ChainedEventLog,
  chainOf,
  Checkpoint,
  checkpointIsAuthentic,
  EMPTY_HEAD,
  GENESIS_HASH,
  recordHash,
  sealRecords,
  segmentsOf,
  signCheckpoint,
  summarise,
} from './record-chain';

const KEY = Buffer.from('unit-test-checkpoint-key-of-32-bytes!!');
const CHAIN = chainOf('taskflow.task.events.v1', 2, 'task.created');

function event(i: number, overrides: Partial<EventLog> = {}): EventLog {
  return {
    eventId: `0190a0b0-0000-7000-8000-${String(i).padStart(12, '0')}`,
    type: 'task.created',
    schemaVersion: 1,
    actorId: 'a1',
    entityId: `t${i}`,
    entityType: 'task',
    payload: { taskId: `t${i}`, title: `Task ${i}`, tags: ['x', 'ü'] },
    metadata: { timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) },
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    updatedAt: new Date(Date.UTC(2026, 0, 2)),
    expiresAt: new Date(Date.UTC(2026, 6, 1, 0, 0, i)),
    ...overrides,
  };
}

function sealed(count: number, from = EMPTY_HEAD): ChainedEventLog[] {
  const docs = Array.from({ length: count }, (_, i) => event(from.seq + i + 1));
  return sealRecords(docs, () => CHAIN, new Map([[CHAIN, from]])).sealed;
}

function checkpointOf(records: ChainedEventLog[]): Checkpoint {
  return signCheckpoint(summarise(records, records[0].updatedAt), KEY);
}

/** Runs a segment check over `records` (in seq order) and answers the first break. */
function verify(
  checkpoint: Checkpoint,
  records: ChainedEventLog[],
  mayHaveExpired = false,
): ChainBreakView | undefined {
  const segment = new SegmentVerifier(checkpoint, mayHaveExpired);
  for (const record of records) {
    const found = segment.accept(record);
    if (found) return found;
  }
  return segment.finish();
}

describe('record chain', () => {
  it('should link records per chain from the genesis hash, seq 1, 2, 3 without holes', () => {
    const records = sealed(3);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(records[0].prevHash).toBe(GENESIS_HASH);
    expect(records[1].prevHash).toBe(records[0].hash);
    expect(records[2].prevHash).toBe(records[1].hash);
    expect(records[0].hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('should keep separate sequences per chain in one batch and leave the inputs unchanged', () => {
    const docs = [event(1), event(2, { type: 'task.updated' }), event(3)];
    const heads = new Map([[CHAIN, { seq: 7, hash: 'f'.repeat(64) }]]);
    const { sealed: out, heads: next } = sealRecords(docs, (doc) => chainOf('t', 2, doc.type), heads);
    expect(out.map((r) => [r.chain, r.seq])).toEqual([
      [CHAIN.replace('taskflow.task.events.v1', 't'), 1],
      ['t/2/task.updated', 1],
      [CHAIN.replace('taskflow.task.events.v1', 't'), 2],
    ]);
    expect(heads.get(CHAIN)).toEqual({ seq: 7, hash: 'f'.repeat(64) });
    expect(next.get('t/2/task.created')).toEqual({ seq: 2, hash: out[2].hash });
    expect((docs[0] as Partial<ChainedEventLog>).seq).toBeUndefined();
  });

  it('should hash canonical content: key order and retention fields do not matter, content and position do', () => {
    const [record] = sealed(1);
    const reordered = { ...record, payload: { tags: ['x', 'ü'], title: 'Task 1', taskId: 't1' } };
    expect(recordHash(reordered, record)).toBe(record.hash);
    const restamped = { ...record, expiresAt: new Date(0), updatedAt: new Date(1), legalHolds: ['case-7'] };
    expect(recordHash(restamped, record)).toBe(record.hash);
    expect(recordHash({ ...record, actorId: 'a2' }, record)).not.toBe(record.hash);
    expect(recordHash({ ...record, payload: { ...record.payload, title: 'Task 1 ' } }, record)).not.toBe(record.hash);
    expect(recordHash(record, { ...record, seq: 2 })).not.toBe(record.hash);
    expect(recordHash(record, { ...record, chain: chainOf('x', 0, 'task.created') })).not.toBe(record.hash);
    expect(recordHash({ ...record, correlationId: undefined }, record)).toBe(record.hash);
    expect(recordHash({ ...record, correlationId: null as never }, record)).not.toBe(record.hash);
  });

  it('should sign checkpoints so that any changed field or another key fails', () => {
    const checkpoint = checkpointOf(sealed(3));
    expect(checkpoint).toMatchObject({ firstSeq: 1, lastSeq: 3, prevHash: GENESIS_HASH, type: 'task.created' });
    expect(checkpoint.minExpiresAt).toEqual(new Date(Date.UTC(2026, 6, 1, 0, 0, 1)));
    expect(checkpointIsAuthentic(checkpoint, KEY)).toBe(true);
    expect(checkpointIsAuthentic({ ...checkpoint, lastSeq: 2 }, KEY)).toBe(false);
    expect(checkpointIsAuthentic({ ...checkpoint, minExpiresAt: new Date(0) }, KEY)).toBe(false);
    expect(checkpointIsAuthentic(checkpoint, Buffer.from('another-key-another-key-another-key!'))).toBe(false);
    expect(checkpointIsAuthentic({ ...checkpoint, mac: 'zz' }, KEY)).toBe(false);
  });
});

describe('segmentsOf', () => {
  it('should cut runs per chain, at a seq hole and where expiries spread more than an hour', () => {
    const fresh = sealed(3);
    const old = sealRecords(
      [
        event(4, { expiresAt: new Date(Date.UTC(2019, 0, 1)) }),
        event(5, { expiresAt: new Date(Date.UTC(2019, 0, 1)) }),
      ],
      () => CHAIN,
      new Map([[CHAIN, { seq: 3, hash: fresh[2].hash }]]),
    ).sealed;
    const other = sealRecords([event(6)], () => 'other/0/task.created', new Map()).sealed;
    const runs = segmentsOf([fresh[0], other[0], fresh[1], fresh[2], ...old]);
    expect(runs.map((run) => run.map((r) => `${r.chain === CHAIN ? 'c' : 'o'}${r.seq}`))).toEqual([
      ['c1', 'c2', 'c3'],
      ['o1'],
      ['c4', 'c5'],
    ]);
    expect(segmentsOf([fresh[0], fresh[2]]).map((run) => run.length)).toEqual([1, 1]);
  });
});

describe('SegmentVerifier', () => {
  const records = sealed(5);
  const checkpoint = checkpointOf(records);

  it('should accept an intact segment and count its records', () => {
    const segment = new SegmentVerifier(checkpoint, false);
    for (const record of records) expect(segment.accept(record)).toBeUndefined();
    expect(segment.finish()).toBeUndefined();
    expect(segment.checked).toBe(5);
  });

  it('should name an edited record (altered), whatever record of the segment it is', () => {
    for (const index of [0, 2, 4]) {
      const edited = records.map((r, i) => (i === index ? { ...r, payload: { ...r.payload, title: 'forged' } } : r));
      expect(verify(checkpoint, edited)).toMatchObject({
        kind: 'altered',
        seq: index + 1,
        eventId: records[index].eventId,
      });
    }
  });

  it('should name a record edited and re-hashed by someone who knows the algorithm (its successor no longer links)', () => {
    for (const index of [0, 2, 4]) {
      const edited = records.map((r) => ({ ...r }));
      edited[index] = { ...edited[index], actorId: 'intruder' };
      edited[index].hash = recordHash(edited[index], edited[index]);
      expect(verify(checkpoint, edited)).toMatchObject({ kind: 'altered', seq: index + 1 });
    }
  });

  it('should name a record whose prevHash was rewritten and re-hashed (it breaks both its links)', () => {
    for (const index of [1, 4]) {
      const edited = records.map((r) => ({ ...r }));
      edited[index] = { ...edited[index], prevHash: 'a'.repeat(64) };
      edited[index].hash = recordHash(edited[index], edited[index]);
      expect(verify(checkpoint, edited)).toMatchObject({ kind: 'altered', seq: index + 1 });
    }
  });

  it('should name a removed record, including the first and the last, unless the segment may have expired', () => {
    for (const index of [0, 2, 4]) {
      const without = records.filter((_, i) => i !== index);
      expect(verify(checkpoint, without)).toMatchObject({ kind: 'removed', seq: index + 1, chain: CHAIN });
      expect(verify(checkpoint, without, true)).toBeUndefined();
    }
    expect(verify(checkpoint, [], true)).toBeUndefined();
    expect(verify(checkpoint, [])).toMatchObject({ kind: 'removed', seq: 1 });
  });

  it('should still check what is left of an expiring segment', () => {
    const left = [records[1], { ...records[3], payload: {} }];
    expect(verify(checkpoint, left, true)).toMatchObject({ kind: 'altered', seq: 4 });
  });

  it('should name a second record at a seq (inserted) when the unique index was dropped', () => {
    const forged = { ...records[2], eventId: 'forged' };
    forged.hash = recordHash(forged, forged);
    expect(verify(checkpoint, [records[0], records[1], records[2], forged, records[3], records[4]])).toMatchObject({
      kind: 'inserted',
      seq: 3,
      eventId: 'forged',
    });
  });

  it('should refuse a checkpoint whose MAC does not match', () => {
    expect(SegmentVerifier.checkCheckpoint(checkpoint, KEY)).toBeUndefined();
    expect(SegmentVerifier.checkCheckpoint({ ...checkpoint, lastHash: records[3].hash }, KEY)).toMatchObject({
      kind: 'altered',
      subject: 'checkpoint',
    });
  });
});

describe('linkCheckpoints', () => {
  const first = checkpointOf(sealed(3));
  const secondRecords = sealed(2, { seq: 3, hash: first.lastHash });
  const second = checkpointOf(secondRecords);
  const third = checkpointOf(sealed(2, { seq: 5, hash: second.lastHash }));

  it('should accept touching checkpoints and name a missing segment', () => {
    expect(linkCheckpoints(first, second)).toBeUndefined();
    expect(linkCheckpoints(first, third)).toMatchObject({ kind: 'removed', subject: 'checkpoint', seq: 4 });
    expect(linkCheckpoints({ chain: CHAIN, lastSeq: 0, lastHash: GENESIS_HASH }, first)).toBeUndefined();
  });

  it('should name a checkpoint that overlaps or does not link to its predecessor', () => {
    expect(linkCheckpoints(second, { ...second, firstSeq: 5 })).toMatchObject({ kind: 'inserted', seq: 5 });
    expect(linkCheckpoints(first, { ...second, prevHash: GENESIS_HASH })).toMatchObject({ kind: 'inserted' });
  });
});
