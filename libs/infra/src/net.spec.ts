import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { freePort } from './net';

const listen = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('freePort', () => {
  it('hands out ports below the ephemeral range, never the same one twice, each bindable', async () => {
    const ephemeralStart = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    const ports: number[] = [];
    for (let i = 0; i < 50; i += 1) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(28000);
      expect(port).toBeLessThan(ephemeralStart);
    }
    await close(await listen(ports[0]));
  });

  it('skips a port something already listens on', async () => {
    const first = await freePort();
    // The next candidate in sequence is first + 1 (unless the slice wraps there): occupied, it never comes back.
    const occupied = await listen(first + 1);
    try {
      const next: number[] = [];
      for (let i = 0; i < 20; i += 1) next.push(await freePort());
      expect(next).not.toContain(first + 1);
    } finally {
      await close(occupied);
    }
  });
});
