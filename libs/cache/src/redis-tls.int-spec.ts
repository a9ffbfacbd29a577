import { redisTlsOptions } from '@taskflow/config';
import { freePort, waitFor } from '@taskflow/testing';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedisClient } from './redis-client';

/**
 * One real TLS connection end to end: a throwaway CA signs a certificate for 127.0.0.1, a private
 * redis-server serves only TLS with it, and the gateway's client connects with REDIS_TLS + REDIS_TLS_CA_FILE.
 */
const hasTools = ['redis-server', 'openssl'].every((tool) => spawnSync('which', [tool]).status === 0);
if (!hasTools) console.log('[skip] Redis TLS test: needs redis-server (built with TLS) and openssl on PATH');

(hasTools ? describe : describe.skip)('Redis over TLS (private redis-server --tls-port)', () => {
  let dir: string;
  let port: number;
  let server: ChildProcess;

  const openssl = (...args: string[]) => {
    const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`openssl ${args[0]}: ${result.stderr}`);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-tls-'));
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '1',
      '-subj',
      '/CN=taskflow-test-ca',
    );
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=127.0.0.1',
    );
    writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    openssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '1',
      '-extfile',
      'san.cnf',
    );
    port = await freePort();
    server = spawn(
      'redis-server',
      [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--tls-cert-file',
        'server.pem',
        '--tls-key-file',
        'server.key',
        '--tls-ca-cert-file',
        'ca.pem',
        '--tls-auth-clients',
        'no',
      ],
      { cwd: dir, stdio: 'ignore' },
    );
    await waitFor(
      () =>
        new Promise<boolean>((resolve) => {
          const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
          socket.once('error', () => resolve(false));
        }),
      { timeoutMs: 10_000, description: 'redis-server TLS port' },
    );
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ping = async (tls: ReturnType<typeof redisTlsOptions>) => {
    const redis = createRedisClient(`redis://127.0.0.1:${port}`, {
      commandTimeoutMs: 2000,
      connectTimeoutMs: 2000,
      tls,
    });
    const errors: string[] = [];
    redis.on('error', (error: Error) => errors.push(error.message));
    try {
      await redis.connect();
      return await redis.ping();
    } catch (error) {
      throw new Error(`${(error as Error).message} (${errors.join('; ')})`, { cause: error });
    } finally {
      redis.disconnect();
    }
  };

  it('should connect and PING with the CA from REDIS_TLS_CA_FILE', async () => {
    const tls = redisTlsOptions({ enabled: true, caFile: join(dir, 'ca.pem'), rejectUnauthorized: true }, 'redis://x');
    expect(await ping(tls)).toBe('PONG');
  });

  it('should refuse the server certificate without that CA (verification is on)', async () => {
    const tls = redisTlsOptions({ enabled: true, caFile: '', rejectUnauthorized: true }, 'redis://x');
    await expect(ping(tls)).rejects.toThrow(/certificate/i);
  });
});
