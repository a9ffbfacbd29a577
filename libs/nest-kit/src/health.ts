import { Injectable, OnApplicationShutdown, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';

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
  /** `down` also for a failed non-critical check (it makes the app `degraded`, not `down`). */
  status: 'up' | 'down';
  critical: boolean;
  /** Time the check took, whole milliseconds (terminus's `responseTime`). */
  latencyMs: number;
  error?: string;
}

/** `draining`: the app is leaving (readiness during the drain, any check once Nest is shutting down). */
export type HealthStatus = 'ok' | 'degraded' | 'down' | 'draining';

const CHECK_TIMEOUT_MS = 2000;

/** terminus's overall status in ours. */
const STATUS: Record<HealthCheckResult['status'], HealthStatus> = {
  ok: 'ok',
  degraded: 'degraded',
  error: 'down',
  shutting_down: 'draining',
};

/**
 * The app's health checks, run by @nestjs/terminus (HealthCheckService, one HealthIndicatorService attempt per
 * check with a 2 s timeout). Ours on top, which terminus has no notion of: the check's kind (/health/database
 * lists `database` only), critical or not (a failed non-critical check is terminus `degraded`, so the app stays
 * ready), drain mode from the shutdown signal on (README "Health"), and closing what the checks hold.
 */
@Injectable()
export class HealthRegistry implements OnApplicationShutdown {
  private readonly checks: HealthCheck[] = [];
  readonly startedAt = Date.now();
  private drainingSince?: number;

  constructor(
    private readonly terminus: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** Adds a check; a second check of the same name is a bug (terminus keys results by name) and throws. */
  register(check: HealthCheck): void {
    if (this.checks.some((known) => known.name === check.name))
      throw new Error(`health check "${check.name}" is already registered`);
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

  /** Runs every check (or those of one kind) in parallel; `down` when a critical one failed. */
  async run(kind?: HealthCheck['kind']): Promise<{ status: HealthStatus; checks: CheckResult[] }> {
    const selected = this.checks.filter((check) => kind === undefined || check.kind === kind);
    const result = await this.terminus
      .check(selected.map((check) => () => this.indicate(check)))
      .catch((error: unknown) => {
        // terminus answers `error` and `shutting_down` with a 503 exception carrying the same result.
        if (error instanceof ServiceUnavailableException) return error.getResponse() as HealthCheckResult;
        throw error;
      });
    return { status: STATUS[result.status], checks: selected.map((check) => checkResult(check, result.details)) };
  }

  private async indicate(check: HealthCheck): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(check.name);
    const result = await session.attempt(() => check.check()).withTimeout(CHECK_TIMEOUT_MS);
    const { status, ...data } = result[check.name];
    return status === 'down' && check.critical === false ? session.degraded(data) : result;
  }
}

function checkResult(check: HealthCheck, details: HealthIndicatorResult): CheckResult {
  const { status, responseTime, message } = details[check.name];
  return {
    name: check.name,
    kind: check.kind,
    status: status === 'up' ? 'up' : 'down',
    critical: check.critical ?? true,
    latencyMs: responseTime,
    ...(status === 'up' ? {} : { error: message }),
  };
}

/**
 * A terminus indicator (e.g. `MongooseHealthIndicator.pingCheck`) as a HealthCheck's `check`: rejects with the
 * indicator's message when it reports its dependency down. The indicator's own timeout applies inside ours.
 */
export function indicatorCheck(indicate: () => PromiseLike<HealthIndicatorResult>): () => Promise<void> {
  return async () => {
    for (const [key, detail] of Object.entries(await indicate())) {
      if (detail.status !== 'up') throw new Error(detail.message ?? `${key} is ${detail.status}`);
    }
  };
}

export const APP_INFO = Symbol('APP_INFO');
export interface AppInfo {
  name: string;
  version: string;
}
