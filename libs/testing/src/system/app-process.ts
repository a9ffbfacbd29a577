import { ServiceProcess, startService } from '../service-process';

/**
 * One app of the system as a child process (from its sources) with a fixed environment and ports, so it
 * can be killed, paused and started again where the other apps expect it.
 */
export class AppProcess {
  private current?: ServiceProcess;
  private logs = '';

  readonly httpPort?: number;
  readonly managementPort: number;

  /** `ports.http`: the public HTTP port (gateway, audit-service); user-service and task-service have none. */
  constructor(
    readonly app: string,
    ports: { http?: number; management: number },
    private readonly env: Record<string, string>,
  ) {
    this.httpPort = ports.http;
    this.managementPort = ports.management;
  }

  /** The public HTTP base URL. */
  get url(): string {
    if (this.httpPort === undefined) throw new Error(`${this.app} has no public HTTP port`);
    return `http://127.0.0.1:${this.httpPort}`;
  }

  /** The management base URL: health, status, metrics. */
  get managementUrl(): string {
    return `http://127.0.0.1:${this.managementPort}`;
  }

  get pid(): number | undefined {
    return this.current?.child.pid;
  }

  running(): boolean {
    const child = this.current?.child;
    return !!child && child.exitCode === null && child.signalCode === null;
  }

  /**
   * Starts the app (from its sources) and waits for its readiness 200, at most `readyTimeoutMs` (default
   * 150 s: on this shared 2-core box, at a load average of 20, a start from sources took over 60 s).
   */
  async start(readyTimeoutMs = 150_000): Promise<void> {
    if (this.running()) return;
    this.current = await startService(this.app, this.env, `${this.managementUrl}/health/ready`, { readyTimeoutMs });
  }

  /** SIGKILL (or another signal) and wait for the exit; a paused process is continued first. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const service = this.current;
    if (!service || !this.running()) return;
    const exited = new Promise((resolve) => service.child.once('exit', resolve));
    service.child.kill('SIGCONT');
    service.child.kill(signal);
    await exited;
    this.logs += service.output();
  }

  /**
   * SIGTERM and wait for the process to exit on its own (graceful drain); SIGKILL only after `timeoutMs`.
   * Resolves with how it ended and how long it took.
   */
  async terminate(timeoutMs = 30_000): Promise<{ code: number | null; signal: string | null; ms: number }> {
    const service = this.current;
    if (!service || !this.running()) return { code: null, signal: null, ms: 0 };
    const started = Date.now();
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      service.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    service.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    let result = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (!result) {
      service.child.kill('SIGKILL');
      result = await exited;
    }
    this.logs += service.output();
    return { ...result, ms: Date.now() - started };
  }

  pause(): void {
    this.current?.child.kill('SIGSTOP');
  }

  resume(): void {
    this.current?.child.kill('SIGCONT');
  }

  /** Graceful stop (SIGTERM, SIGKILL after 10 s). */
  async stop(): Promise<void> {
    if (!this.current) return;
    this.current.child.kill('SIGCONT');
    await this.current.stop();
    this.logs += this.current.output();
  }

  /** Everything the process (all its runs) wrote, for failure messages. */
  output(): string {
    return this.logs + (this.running() ? (this.current?.output() ?? '') : '');
  }
}
