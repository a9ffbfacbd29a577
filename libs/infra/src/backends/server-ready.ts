import { waitUntil } from '../net';
import { DetachedProcess, isAlive, stopProcess, tail } from '../proc';
import { InfraError } from '../types';

/**
 * Waits until `probe` answers for the server just started as `proc` (polling every `intervalMs`, 500 by
 * default, for at most `timeoutMs`), failing fast with its log's tail when it exits. When it does not become
 * ready it is stopped (its process group, SIGKILL after 5 s) before the InfraError is thrown: a failed start
 * leaves nothing running that the state file does not record and `infra down` could not stop.
 */
export async function awaitServerReady(
  proc: DetachedProcess,
  opts: { probe: () => Promise<boolean>; timeoutMs: number; intervalMs?: number; what: string; where: string },
): Promise<void> {
  try {
    await waitUntil(opts.probe, {
      timeoutMs: opts.timeoutMs,
      intervalMs: opts.intervalMs ?? 500,
      describe: `${opts.what} on ${opts.where}`,
      failFast: () => (isAlive(proc.pid) ? undefined : `${opts.what} exited:\n${tail(proc.logFile)}`),
    });
  } catch (error) {
    await stopProcess(proc.pid, { group: true, timeoutMs: 5000 });
    throw new InfraError(`${(error as Error).message} (log: ${proc.logFile})`);
  }
}
