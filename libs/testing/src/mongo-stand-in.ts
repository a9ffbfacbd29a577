import { spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '@taskflow/infra';
import { stopChild } from './service-process';

export interface MongoStandIn {
  /** `mongodb://127.0.0.1:<port>` (append `/<database>`). */
  url: string;
  pid: number;
  stop: () => Promise<void>;
}

/**
 * A private mongo-java-server with its in-memory backend (infra/mongo/MongoLauncher.java, the jars of the shared
 * .infra/lib), for a test that loads more data than the shared stand-in should carry: about 5 GB of JVM heap per
 * million audit events. Stopped by its own pid.
 */
export async function startMongoStandIn({ maxHeap = '6g' }: { maxHeap?: string } = {}): Promise<MongoStandIn> {
  const root = path.resolve(__dirname, '../../..');
  const port = await freePort();
  const child = spawn(
    'java',
    [
      `-Xmx${maxHeap}`,
      '-cp',
      path.join(root, '.infra/lib/mongo/*'),
      path.join(root, 'infra/mongo/MongoLauncher.java'),
      '127.0.0.1',
      String(port),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mongo-java-server did not start in 60 s:\n${output}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mongo-java-server exited with ${code}:\n${output}`));
    });
  });
  return { url: `mongodb://127.0.0.1:${port}`, pid: child.pid!, stop: () => stopChild(child, 5000) };
}
