import { ApiExcludeController } from '@nestjs/swagger';
import { Controller, Get, Header, HttpStatus, Inject, Injectable, OnApplicationShutdown, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppMetrics } from './metrics';

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

/**
 * /health/live, /health/ready, /health/database, /status and /metrics — unversioned, outside /api, and not part of
 * the public API document (they are for probes and Prometheus).
 */
@ApiExcludeController()
@Controller()
export class OpsController {
  constructor(
    private readonly registry: HealthRegistry,
    private readonly metrics: AppMetrics,
    @Inject(APP_INFO) private readonly info: AppInfo,
  ) {}

  @Get('health/live')
  live() {
    return { status: 'ok' };
  }

  @Get('health/ready')
  async ready(@Res() reply: FastifyReply) {
    // A draining instance leaves the balancer whatever its dependencies say; liveness stays 200.
    if (this.registry.draining)
      return reply.status(HttpStatus.SERVICE_UNAVAILABLE).send({ status: 'draining', checks: [] });
    const result = await this.registry.run();
    return reply.status(result.status === 'down' ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.OK).send(result);
  }

  @Get('health/database')
  async database(@Res() reply: FastifyReply) {
    const result = await this.registry.run('database');
    return reply.status(result.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).send(result);
  }

  @Get('status')
  status() {
    return {
      name: this.info.name,
      version: this.info.version,
      uptimeSeconds: Math.round((Date.now() - this.registry.startedAt) / 1000),
      node: process.version,
    };
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  async metricsText() {
    return this.metrics.registry.metrics();
  }
}
