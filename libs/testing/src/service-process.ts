import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
/**
 * From spawn to /health/ready 200. An app compiles its sources through swc-node at start: on the shared 2-core
 * box, three apps starting at once (startSystem) took over 60 s (load average ~28).
 */
const READY_TIMEOUT_MS = 120_000;

export interface ServiceProcess {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export interface StartServiceOptions {
  /** Run the swc build in dist/ with plain node, as the production image does (build it first). */
  fromDist?: boolean;
  /** How long to wait for readiness 200 before giving up (ms). */
  readyTimeoutMs?: number;
}

/** SIGTERM, then SIGKILL when the child has not exited after `graceMs`; resolves at once if it already has. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearTimeout(timer);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * Runs another app from its sources (or its dist/ build) in a child process (an app never imports another
 * app), and waits until its /health/ready answers 200.
 */
export async function startService(
  app: string,
  env: Record<string, string>,
  readyUrl: string,
  { fromDist = false, readyTimeoutMs = READY_TIMEOUT_MS }: StartServiceOptions = {},
): Promise<ServiceProcess> {
  const args = fromDist ? [`dist/apps/${app}/src/main.js`] : ['-r', '@swc-node/register', `apps/${app}/src/main.ts`];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (chunk) => (log += chunk));
  child.stderr?.on('data', (chunk) => (log += chunk));
  const stop = () => stopChild(child);
  const deadline = Date.now() + readyTimeoutMs;
  let lastAnswer = 'none';
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${app} exited (${child.exitCode}):\n${log}`);
    const ready = await fetch(readyUrl, { signal: AbortSignal.timeout(1000) })
      .then(async (response) => {
        lastAnswer = `${response.status} ${(await response.text()).slice(0, 500)}`;
        return response.status === 200;
      })
      .catch((error: Error) => {
        lastAnswer = error.message;
        return false;
      });
    if (ready) return { child, output: () => log, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `${app} not ready within ${readyTimeoutMs / 1000} s (last readiness answer: ${lastAnswer}):\n${log}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
