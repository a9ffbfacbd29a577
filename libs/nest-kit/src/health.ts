import { Injectable, OnApplicationShutdown } from '@nestjs/common';

/** A dependency probe; `check` rejects when the dependency cannot serve. */
export interface HealthCheck {
  name: string;
  /** `database` checks are also listed under /health/database (seed 004). */
  kind: 'database' | 'cache' | 'broker' | 'store' | 'service' | 'schema';
  check(): Promise<void>;
  /** A failing non-critical check makes the app `degraded` but still ready (e.g. the gateway's cache). */
  critical?: boolean;
  /** Releases what the check holds (e.g. its own database connection); called once at shutdown. */
  close?(): Promise<void>;
}

export interface CheckResult {
  name: string;
  kind: HealthCheck['kind'];
  status: 'up' | 'down';
  critical: boolean;
  latencyMs: number;
  error?: string;
}

const CHECK_TIMEOUT_MS = 2000;

@Injectable()
export class HealthRegistry implements OnApplicationShutdown {
  private readonly checks: HealthCheck[] = [];
  readonly startedAt = Date.now();
  private drainingSince?: number;

  register(check: HealthCheck): void {
    this.checks.push(check);
  }

  /** From now on /health/ready answers 503 (the app is leaving; docs/operations.md "Shutdown and drain"). */
  startDraining(): void {
    this.drainingSince ??= Date.now();
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.checks.map((check) => check.close?.().catch(() => undefined)));
  }

  async run(kind?: HealthCheck['kind']): Promise<{ status: 'ok' | 'degraded' | 'down'; checks: CheckResult[] }> {
    const selected = this.checks.filter((check) => kind === undefined || check.kind === kind);
    const checks = await Promise.all(selected.map(runCheck));
    const criticalDown = checks.some((result) => result.status === 'down' && result.critical);
    const anyDown = checks.some((result) => result.status === 'down');
    return { status: criticalDown ? 'down' : anyDown ? 'degraded' : 'ok', checks };
  }
}

async function runCheck(check: HealthCheck): Promise<CheckResult> {
  const started = performance.now();
  const critical = check.critical ?? true;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { name: check.name, kind: check.kind, status: 'up', critical, latencyMs: elapsed(started) };
  } catch (error) {
    return {
      name: check.name,
      kind: check.kind,
      status: 'down',
      critical,
      latencyMs: elapsed(started),
      error: (error as Error).message,
    };
  } finally {
    clearTimeout(timer);
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

export const APP_INFO = Symbol('APP_INFO');
export interface AppInfo {
  name: string;
  version: string;
}
