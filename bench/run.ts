/**
 * `npm run bench` (node tools/run.js bench): the one benchmark report. Brings the local infrastructure up
 * (reusing what runs), builds the apps, starts the system on scratch resources, measures, prints one table and
 * writes it to bench/results/latest.md. Options: --duration s (10), --warmup s (3), --connections n (100),
 * --events n (20000).
 */
import { machineFacts, peakRssBytes } from '@taskflow/bench';
import type { ResolvedBackend, UpResult } from '@taskflow/infra';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBenchUser, httpPhase, LoadSettings } from './http-phase';
import { ingestPhase } from './ingest-phase';
import { renderReport } from './report';
import { startBenchSystem } from './system';
import { serverVersions } from './versions';
import { writePhase } from './write-phase';

/** The part of tools/run.js's exports used here. */
export interface RunKit {
  ROOT: string;
  build(): void;
  withInfra<T>(
    fn: (env: NodeJS.ProcessEnv, up: UpResult, teardown: () => Promise<void>) => Promise<T>,
    options?: { topics?: boolean },
  ): Promise<T>;
}

const log = (line: string) => console.log(line);

class PhaseError extends Error {
  constructor(
    readonly phase: string,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

async function phase<T>(name: string, work: () => Promise<T> | T): Promise<T> {
  log(`[bench] ▶ ${name}`);
  const started = performance.now();
  try {
    const value = await work();
    log(`[bench] ✔ ${name} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    return value;
  } catch (error) {
    throw new PhaseError(name, error);
  }
}

function option(args: string[], name: string, fallback: number, min: number): number {
  const index = args.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(args[index + 1]);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return value;
}

export async function runBench(args: string[], kit: RunKit): Promise<number> {
  const startedAt = new Date();
  const facts = machineFacts(kit.ROOT); // load average before we add any
  let settings: LoadSettings & { events: number };
  try {
    settings = {
      connections: option(args, 'connections', 100, 1),
      durationSec: option(args, 'duration', 10, 1),
      warmupSec: option(args, 'warmup', 3, 0),
      events: option(args, 'events', 20_000, 1000),
    };
  } catch (error) {
    console.error(`✖ ${(error as Error).message}`);
    return 2;
  }
  try {
    return await kit.withInfra(
      async (env, up, teardown) => {
        Object.assign(process.env, env); // scratch database and system env read DATABASE_URL & co. from here
        let stopSystem: (() => Promise<void>) | undefined;
        const interrupted = () => {
          log('\n[bench] interrupted: cleaning up …');
          void (stopSystem?.() ?? Promise.resolve()).then(teardown).finally(() => process.exit(130));
        };
        process.once('SIGINT', interrupted);
        process.once('SIGTERM', interrupted);
        try {
          await phase('build (swc → dist/)', () => kit.build());
          const ready = await phase('start the system', () =>
            startBenchSystem(process.env, { log, onStop: (stop) => (stopSystem = stop) }),
          );
          const versions = await phase('server versions', () =>
            serverVersions(ready, up.backends as Record<'kafka' | 'mongo', ResolvedBackend>),
          );
          const user = await phase('seed a user and 30 tasks', () => createBenchUser(ready.gateway, 30));
          const http = await phase('HTTP reads', () => httpPhase(ready, user, settings, log));
          const writes = await phase('writes', () => writePhase(ready, user, settings, log));
          const ingest = await phase('audit ingest', () => ingestPhase(ready, settings.events, log));
          const memory = ready.processes.map(({ name, pid }) => ({ name, bytes: peakRssBytes(pid) }));
          const loadAtEnd = Math.round(os.loadavg()[0] * 100) / 100;
          await phase('clean up', () => ready.stop());
          const report = renderReport({
            startedAt,
            seconds: (Date.now() - startedAt.getTime()) / 1000,
            facts,
            loadAtEnd,
            versions,
            settings,
            http,
            writes,
            ingest,
            memory,
          });
          const file = path.join(kit.ROOT, 'bench', 'results', 'latest.md');
          fs.mkdirSync(path.dirname(file), { recursive: true });
          fs.writeFileSync(file, report);
          log(`\n${report}\n[bench] written to ${path.relative(kit.ROOT, file)}`);
          return 0;
        } finally {
          process.off('SIGINT', interrupted);
          process.off('SIGTERM', interrupted);
          await stopSystem?.(); // after a failed phase; a no-op once everything is stopped
        }
      },
      { topics: false },
    );
  } catch (error) {
    const where = error instanceof PhaseError ? ` in phase "${error.phase}"` : '';
    console.error(`\n✖ bench failed${where}: ${(error as Error).message}\n`);
    return 1;
  }
}
