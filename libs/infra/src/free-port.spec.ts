import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, portBand } from './free-port';

const ephemeralRange = (() => {
  try {
    return fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  } catch {
    return [49152, 65535];
  }
})();

describe('freePort', () => {
  it('draws from a band outside the ephemeral range', () => {
    const band = portBand()!;
    expect(band.size).toBeGreaterThanOrEqual(1024);
    const last = band.first + band.size - 1;
    expect(last < ephemeralRange[0] || band.first > ephemeralRange[1]).toBe(true);
  });

  it('hands out distinct, bindable ports in the band, and claims each for this process', async () => {
    const band = portBand()!;
    const ports = await Promise.all(Array.from({ length: 50 }, () => freePort()));
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(band.first);
      expect(port).toBeLessThan(band.first + band.size);
      const claim = path.join(os.tmpdir(), 'taskflow-port-claims', String(port));
      expect(fs.readFileSync(claim, 'utf8')).toBe(String(process.pid));
    }
  });

  it('never hands another process a port this one holds, and releases its claims when it exits', async () => {
    const mine = await Promise.all(Array.from({ length: 300 }, () => freePort()));
    const child = spawnSync(
      process.execPath,
      [
        '-r',
        '@swc-node/register',
        '-e',
        `const { freePort } = require('${__dirname}/free-port');
         Promise.all(Array.from({ length: 300 }, () => freePort())).then((p) => console.log(JSON.stringify(p)));`,
      ],
      { cwd: path.resolve(__dirname, '../../..'), encoding: 'utf8', timeout: 60_000 },
    );
    expect(child.stderr).toBe('');
    const theirs: number[] = JSON.parse(child.stdout);
    expect(theirs).toHaveLength(300);
    expect(theirs.filter((port) => mine.includes(port))).toEqual([]);
    const leftover = theirs.filter((port) =>
      fs.existsSync(path.join(os.tmpdir(), 'taskflow-port-claims', String(port))),
    );
    expect(leftover).toEqual([]);
  }, 90_000);
});
