import * as fs from 'node:fs';
import * as path from 'node:path';
import { infraDir } from './config';
import { sleep } from './net';
import { isAlive } from './proc';
import { BackendName, InfraState, OwnedRecord } from './types';

export function statePath(): string {
  return path.join(infraDir(), 'state.json');
}

export function readState(): InfraState {
  try {
    const parsed = JSON.parse(fs.readFileSync(statePath(), 'utf8')) as InfraState;
    return { version: 1, backends: parsed.backends ?? {} };
  } catch {
    return { version: 1, backends: {} };
  }
}

function writeState(state: InfraState): void {
  fs.mkdirSync(path.dirname(statePath()), { recursive: true });
  const tmp = `${statePath()}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  fs.renameSync(tmp, statePath());
}

export function recordOwned(record: OwnedRecord): void {
  const state = readState();
  state.backends[record.name] = record;
  writeState(state);
}

export function forgetOwned(name: BackendName): void {
  const state = readState();
  delete state.backends[name];
  writeState(state);
}

/**
 * Serialises `up`/`down` of one workspace (two terminals, or `start` while `test` runs): an exclusive
 * lock file holding the owner pid; a lock left by a dead process is taken over.
 */
export async function withStateLock<T>(fn: () => Promise<T>, timeoutMs = 300_000): Promise<T> {
  const lock = `${statePath()}.lock`;
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = Number(fs.readFileSync(lock, 'utf8').trim() || 0);
      if (!isAlive(holder) || holder === process.pid) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`infrastructure state is locked by pid ${holder} (${lock})`);
      if (!announced) {
        console.log(`[infra] waiting for pid ${holder} to finish bringing infrastructure up/down…`);
        announced = true;
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}
