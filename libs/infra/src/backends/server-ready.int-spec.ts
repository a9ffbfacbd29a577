import * as fs from 'node:fs';
import { createServer, Server } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { infraDir, loadConfig } from '../config';
import { freePort } from '../free-port';
import { isAlive, spawnDetached } from '../proc';
import { startMongoJavaServer } from './mongo';
import { awaitServerReady } from './server-ready';

// A start that fails must leave nothing behind: an orphaned server would hold its port and data files, and the
// next `npm start` would fail on them ("file is locked") with nothing in the state file to stop.
describe('a server that does not become ready', () => {
  const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'server-ready-')), 'server.log');

  it('is stopped before the start fails', async () => {
    const proc = spawnDetached('sleep', ['300'], logFile);
    await expect(
      awaitServerReady(proc, {
        probe: async () => false,
        timeoutMs: 500,
        intervalMs: 100,
        what: 'sleep',
        where: 'nowhere',
      }),
    ).rejects.toThrow(/timed out after 500 ms waiting for sleep on nowhere \(log: /);
    expect(isAlive(proc.pid)).toBe(false);
  });

  it('mongo-java-server on a port already taken exits at once, and the start fails naming the port', async () => {
    const mongoPort = await freePort();
    const taken: Server = await new Promise((resolve) => {
      const server = createServer((socket) => socket.destroy()).listen(mongoPort, '127.0.0.1', () => resolve(server));
    });
    try {
      const started = Date.now();
      await expect(startMongoJavaServer({ ...loadConfig(), mongoPort, startTimeoutMs: 20_000 })).rejects.toThrow(
        new RegExp(`mongo-java-server exited:[\\s\\S]*cannot listen on 127\\.0\\.0\\.1:${mongoPort}`),
      );
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
      fs.rmSync(path.join(infraDir(), 'data', 'mongo', `taskflow-${mongoPort}.mv.db`), { force: true });
    }
  }, 60_000);
});
