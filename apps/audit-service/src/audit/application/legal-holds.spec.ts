import pino from 'pino';
import { AuditConfig } from '../../config/audit.config';
import { LegalHold } from '../domain/legal-hold';
import { LegalHolds } from './legal-holds';
import { AuditActs, LegalHoldStore } from './ports';

/** Holds in memory, recording what the re-sweep did to each; `onHoldRecords` runs inside a sweep of one hold. */
class MemoryHolds implements Partial<LegalHoldStore> {
  readonly holds = new Map<string, LegalHold & { resweepAt?: Date; resweptAt?: Date }>();
  readonly calls: string[] = [];
  onHoldRecords: (hold: LegalHold) => void = () => undefined;

  add(id: string, fields: Partial<LegalHold & { resweepAt: Date }> = {}) {
    this.holds.set(id, {
      id,
      scope: { actorId: `actor-${id}` },
      reason: 'case',
      placedBy: 'admin',
      placedAt: new Date(0),
      ...fields,
    });
  }
  async dueForResweep(now: Date) {
    return [...this.holds.values()].filter((h) => !h.resweptAt && (!h.resweepAt || h.resweepAt <= now));
  }
  async find(id: string) {
    return this.holds.get(id);
  }
  async holdRecords(hold: LegalHold) {
    this.calls.push(`hold ${hold.id}`);
    this.onHoldRecords(hold);
    return 0;
  }
  async releaseRecords(hold: LegalHold) {
    this.calls.push(`release ${hold.id}`);
    return 0;
  }
  async markResweept(id: string, at: Date) {
    this.calls.push(`done ${id}`);
    this.holds.get(id)!.resweptAt = at;
  }
}

function legalHolds(store: MemoryHolds) {
  const config = { kafka: { requestTimeoutMs: 1000 }, mongo: { socketTimeoutMs: 1000 } } as AuditConfig;
  return new LegalHolds(store as unknown as LegalHoldStore, {} as AuditActs, config, pino({ level: 'silent' }));
}

describe('LegalHolds.resweepDue', () => {
  it('sweeps the due holds once, not the ones due later, and not again', async () => {
    const store = new MemoryHolds();
    store.add('due', { resweepAt: new Date(Date.now() - 1) });
    store.add('stored-before-due-times');
    store.add('later', { resweepAt: new Date(Date.now() + 60_000) });
    const holds = legalHolds(store);
    await holds.resweepDue();
    await holds.resweepDue();
    expect(store.calls).toEqual([
      'hold due',
      'done due',
      'hold stored-before-due-times',
      'done stored-before-due-times',
    ]);
  });

  it('releases again what it held when the hold was released during the sweep', async () => {
    const store = new MemoryHolds();
    store.add('h');
    store.onHoldRecords = (hold) => (store.holds.get(hold.id)!.releasedAt = new Date());
    await legalHolds(store).resweepDue();
    expect(store.calls).toEqual(['hold h', 'release h', 'done h']);
  });

  it('only releases for a hold released before its sweep ran (a sweep that died half-way is repaired)', async () => {
    const store = new MemoryHolds();
    store.add('released', { releasedAt: new Date() });
    await legalHolds(store).resweepDue();
    expect(store.calls).toEqual(['release released', 'done released']);
  });

  it('goes on with the other holds when one fails, and retries that one next round', async () => {
    const store = new MemoryHolds();
    store.add('bad');
    store.add('good');
    let failures = 1;
    store.onHoldRecords = (hold) => {
      if (hold.id === 'bad' && failures-- > 0) throw new Error('socket timeout');
    };
    const holds = legalHolds(store);
    await expect(holds.resweepDue()).resolves.toBeUndefined();
    expect(store.calls).toEqual(['hold bad', 'hold good', 'done good']);
    await holds.resweepDue();
    expect(store.calls.slice(3)).toEqual(['hold bad', 'done bad']);
  });
});
