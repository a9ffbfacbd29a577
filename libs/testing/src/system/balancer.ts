import { createServer, Server, Socket } from 'node:net';

/** One instance behind the balancer: its traffic port and the URL whose 200 means "send me traffic". */
export interface BalancerTarget {
  port: number;
  readyUrl: string;
}

export interface Balancer {
  port: number;
  url: string;
  add(target: BalancerTarget): void;
  remove(target: BalancerTarget): void;
  /** Whether the last probe found the target ready (new connections may go there). */
  isReady(target: BalancerTarget): boolean;
  close(): Promise<void>;
}

const PROBE_EVERY_MS = 250;
const PROBE_TIMEOUT_MS = 2_000;
/** Consecutive failed probes before a target leaves the rotation (Kubernetes' failureThreshold), and back. */
const FAILURE_THRESHOLD = 2;

/**
 * A loopback TCP load balancer that acts like a Kubernetes Service or a cloud balancer with health checks: it
 * probes each target's readiness every 250 ms, takes a target out of the rotation at once when it answers
 * non-200 (a draining instance) and after 2 probes in a row without an answer (one slow answer on a loaded
 * machine is not an outage), back after one 200; it sends each new connection to the next ready target (round
 * robin), tries the next one when the connect is refused (nginx `proxy_next_upstream error`), and with none
 * ready fails open to every target, as cloud balancers do. Established connections stay where they are until either side closes them, as with a real
 * balancer; a half-close is passed on (FIN, not a reset), so `Connection: close` drains cleanly.
 */
export async function startBalancer(targets: BalancerTarget[] = []): Promise<Balancer> {
  // Keyed by port: a target restarted in place (same port) is the same target.
  const ready = new Map<number, { target: BalancerTarget; up: boolean; failures: number }>(
    targets.map((target) => [target.port, { target, up: false, failures: 0 }]),
  );
  const sockets = new Set<Socket>();
  let next = 0;
  let closed = false;

  const probe = async () => {
    while (!closed) {
      await Promise.all(
        [...ready.values()].map(async (entry) => {
          const status = await fetch(entry.target.readyUrl, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
            .then((response) => response.status)
            .catch(() => 0);
          entry.failures = status === 200 ? 0 : entry.failures + 1;
          entry.up = status === 200 || (status === 0 && entry.up && entry.failures < FAILURE_THRESHOLD);
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
    }
  };

  /** The targets to try for a new connection, in order: the next ready one first. */
  const candidates = (): BalancerTarget[] => {
    const up = [...ready.values()].filter((entry) => entry.up);
    const pool = (up.length > 0 ? up : [...ready.values()]).map((entry) => entry.target);
    const start = next++;
    return pool.map((_, i) => pool[(start + i) % pool.length]);
  };

  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    sockets.add(client);
    let current: Socket | undefined;
    client.on('close', () => sockets.delete(client)).on('error', () => current?.destroy());
    const connect = (targets: BalancerTarget[]) => {
      const [target, ...rest] = targets;
      if (!target) return void client.destroy(); // nothing to send it to: like a balancer without endpoints
      const upstream = new Socket({ allowHalfOpen: true });
      current = upstream;
      sockets.add(upstream);
      let connected = false;
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => (connected ? client.destroy() : connect(rest)));
      upstream.connect(target.port, '127.0.0.1', () => {
        connected = true;
        client.pipe(upstream); // pipe() passes the end (FIN) on in both directions
        upstream.pipe(client);
        client.resume();
      });
    };
    connect(candidates());
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
  const probing = probe();

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    add: (target) => void ready.set(target.port, { target, up: false, failures: 0 }),
    remove: (target) => void ready.delete(target.port),
    isReady: (target) => ready.get(target.port)?.up ?? false,
    close: async () => {
      closed = true;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await probing;
    },
  };
}
