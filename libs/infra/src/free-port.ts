import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { isAlive } from './proc';

/** Above the fixed ports the local backends use (5432, 6379, 9092, 9093, 27017). */
const BAND_START = 28000;
const MIN_BAND_SIZE = 1024;
const DRAWS = 64;
/** One file per port handed out, naming the process that holds it; shared by every process on the machine. */
const CLAIMS_DIR = path.join(os.tmpdir(), 'taskflow-port-claims');
const ownClaims: string[] = [];

/**
 * A TCP port on 127.0.0.1 for a server the caller starts next (a test's service, a private backend, a container
 * mapping). It is drawn from a band the kernel never hands out by itself: 28000 up to the start of its ephemeral
 * range (`/proc/sys/net/ipv4/ip_local_port_range`; 49152 where there is none), or above that range's end when the
 * band below is under 1024 ports. So neither `listen(0)` nor an outgoing connection can take it between this call
 * and the caller's bind — one did, once, and a whole suite failed with EADDRINUSE. A claim file in
 * `$TMPDIR/taskflow-port-claims` keeps every other process that uses this function off it until this process exits
 * (a claim of a process that is gone is taken over). Where no such band exists, the kernel's `listen(0)` choice.
 * Rejects after 64 draws that were all claimed or in use.
 */
export async function freePort(): Promise<number> {
  const band = portBand();
  if (!band) return kernelPort();
  for (let draw = 0; draw < DRAWS; draw += 1) {
    const port = band.first + Math.floor(Math.random() * band.size);
    if (claim(port) && (await canBind(port))) return port;
  }
  throw new Error(`no free port after ${DRAWS} draws in ${band.first}–${band.first + band.size - 1}`);
}

/** The band freePort draws from (`first` … `first + size - 1`), or undefined when none is large enough. */
export function portBand(): { first: number; size: number } | undefined {
  let [ephemeralStart, ephemeralEnd] = [49152, 65535];
  try {
    [ephemeralStart, ephemeralEnd] = fs
      .readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
  } catch {
    // not Linux: the IANA dynamic range
  }
  if (ephemeralStart - BAND_START >= MIN_BAND_SIZE) return { first: BAND_START, size: ephemeralStart - BAND_START };
  if (65535 - ephemeralEnd >= MIN_BAND_SIZE) return { first: ephemeralEnd + 1, size: 65535 - ephemeralEnd };
  return undefined;
}

function claim(port: number): boolean {
  fs.mkdirSync(CLAIMS_DIR, { recursive: true });
  const file = path.join(CLAIMS_DIR, String(port));
  if (create(file)) return true;
  // An empty file is a claim being written right now: held, like one whose process runs.
  const holder = Number(readOr(file, '0'));
  if (!holder || holder === process.pid || isAlive(holder)) return false;
  fs.rmSync(file, { force: true });
  return create(file);
}

function create(file: string): boolean {
  try {
    fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
  } catch {
    return false;
  }
  if (ownClaims.push(file) === 1) process.once('exit', () => ownClaims.forEach((f) => fs.rmSync(f, { force: true })));
  return true;
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
