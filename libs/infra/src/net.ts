import * as net from 'node:net';

/** True when something accepts TCP connections on host:port within timeoutMs. */
export function isPortOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` until it returns true or the deadline passes. `describe` names what we wait for in the
 * timeout message; `failFast` may return a message to abort early (e.g. the process died).
 */
export async function waitUntil(
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; describe: string; failFast?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const abort = opts.failFast?.();
    if (abort) throw new Error(abort);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.describe}`);
    await sleep(opts.intervalMs ?? 250);
  }
}
