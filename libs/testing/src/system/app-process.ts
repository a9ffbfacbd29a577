import { ServiceProcess, startService } from '../service-process';

/**
 * One app of the system as a child process (from its sources) with a fixed environment and ports, so it
 * can be killed, paused and started again where the other apps expect it.
 */
export class AppProcess {
  private current?: ServiceProcess;
  private logs = '';

  constructor(
    readonly app: string,
    readonly httpPort: number,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get pid(): number | undefined {
    return this.current?.child.pid;
  }

  running(): boolean {
    const child = this.current?.child;
    return !!child && child.exitCode === null && child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running()) return;
    this.current = await startService(this.app, this.env, `${this.url}/health/ready`);
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
