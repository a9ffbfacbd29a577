import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

let cached: Promise<boolean> | undefined;

function ping(options: http.RequestOptions, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ ...options, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * Whether a Docker engine answers, decided in at most ~1.5 s and without output (the `docker` client alone
 * is not enough: it needs a daemon). Looks at DOCKER_HOST, then the usual sockets.
 */
export function dockerAvailable(timeoutMs = 1500): Promise<boolean> {
  cached ??= (async () => {
    const host = process.env.DOCKER_HOST;
    if (host?.startsWith('tcp://') || host?.startsWith('http://')) {
      const url = new URL(host.replace(/^tcp:/, 'http:'));
      return ping({ host: url.hostname, port: Number(url.port || 2375) }, timeoutMs);
    }
    const sockets = host?.startsWith('unix://')
      ? [host.slice('unix://'.length)]
      : [
          '/var/run/docker.sock',
          path.join(os.homedir(), '.docker/run/docker.sock'),
          `/run/user/${process.getuid?.() ?? 0}/docker.sock`,
        ];
    for (const socketPath of sockets) {
      if (fs.existsSync(socketPath) && (await ping({ socketPath }, timeoutMs))) return true;
    }
    return false;
  })();
  return cached;
}
