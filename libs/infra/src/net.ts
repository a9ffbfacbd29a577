import { readFileSync } from 'node:fs';
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

/**
 * A TCP port on 127.0.0.1 that was free a moment ago and that nothing else is handed meanwhile: a number
 * between 28000 (above the fixed ports the local backends use: 9092, 27017, …) and the start of the kernel's ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`), so
 * neither `listen(0)` nor an outgoing connection can be given it between this check and the caller's bind
 * (a port from `listen(0)` was, once, taken by another test process before the service bound it). Each Jest
 * worker (`JEST_WORKER_ID`) draws from its own slice of that band, and a process never hands a port out twice.
 * Rejects when its slice has no free port left.
 */
export async function freePort(): Promise<number> {
  const { first, size } = portSlice();
  for (let tried = 0; tried < size; tried += 1) {
    const port = first + (nextOffset++ % size);
    if (await canBind(port)) return port;
  }
  throw new Error(`no free port in ${first}–${first + size - 1}`);
}

const PORT_BAND_START = 28000;
const PORT_SLICES = 16;
let nextOffset = Math.floor(Math.random() * 1000);

function portSlice(): { first: number; size: number } {
  let bandEnd = 32768;
  try {
    bandEnd = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || bandEnd;
  } catch {
    // not Linux: the IANA dynamic range starts at 49152, so the default band is below it too
  }
  const size = Math.floor((bandEnd - PORT_BAND_START) / PORT_SLICES);
  const slice = Number(process.env.JEST_WORKER_ID ?? 0) % PORT_SLICES;
  return { first: PORT_BAND_START + slice * size, size };
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}
