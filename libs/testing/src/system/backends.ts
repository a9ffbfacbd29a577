import {
  InfraConfig,
  freePort,
  isAlive,
  loadConfig,
  OwnedRecord,
  startLocalKafka,
  startMongoJavaServer,
  startRedisServer,
} from '@taskflow/infra';
import { Redis } from 'ioredis';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A server of our own (never a shared one), signalled by the pid we started. Restarting reuses its
 * configuration and data directory, so Kafka keeps its log and offsets and mongo-java-server its H2 file.
 */
export interface PrivateServer {
  readonly name: 'kafka' | 'mongo' | 'redis';
  readonly url: string;
  readonly pid: number;
  kill(signal?: NodeJS.Signals): Promise<void>;
  pause(): void;
  resume(): void;
  /** A clean stop (SIGTERM; Redis: SHUTDOWN SAVE so sessions survive, like a persistent production Redis). */
  stop(): Promise<void>;
  start(): Promise<void>;
  running(): boolean;
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

/**
 * The infra starters place data, logs and config under TASKFLOW_INFRA_DIR, read synchronously before their
 * first await: point it at our private folder only for that moment, so the shared .infra/ is never touched.
 */
function inDir<T>(dir: string, start: () => Promise<T>): Promise<T> {
  const previous = process.env.TASKFLOW_INFRA_DIR;
  process.env.TASKFLOW_INFRA_DIR = dir;
  try {
    return start();
  } finally {
    if (previous === undefined) delete process.env.TASKFLOW_INFRA_DIR;
    else process.env.TASKFLOW_INFRA_DIR = previous;
  }
}

class ProcessServer implements PrivateServer {
  private record!: OwnedRecord;

  constructor(
    readonly name: 'kafka' | 'mongo' | 'redis',
    private readonly dir: string,
    private readonly launch: () => Promise<OwnedRecord>,
  ) {}

  get url(): string {
    return this.record.url;
  }

  get pid(): number {
    return this.record.pid!;
  }

  async start(): Promise<void> {
    this.record = await inDir(this.dir, this.launch);
  }

  running(): boolean {
    return !!this.record && isAlive(this.record.pid);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running()) return;
    process.kill(this.pid, 'SIGCONT'); // a paused process must be able to act on SIGTERM
    process.kill(this.pid, signal);
    if (!(await waitGone(this.pid, 45_000))) {
      process.kill(this.pid, 'SIGKILL');
      await waitGone(this.pid, 10_000);
    }
  }

  pause(): void {
    process.kill(this.pid, 'SIGSTOP');
  }

  resume(): void {
    process.kill(this.pid, 'SIGCONT');
  }

  async stop(): Promise<void> {
    if (this.name === 'redis' && this.running()) {
      const redis = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await redis.connect();
        await redis.call('SHUTDOWN', 'SAVE').catch(() => undefined); // the connection closes: no reply
      } catch {
        /* not answering: the SIGTERM below */
      } finally {
        redis.disconnect();
      }
      if (await waitGone(this.pid, 10_000)) return;
    }
    await this.kill('SIGTERM');
  }
}

export interface PrivateBackends {
  dir: string;
  kafka: PrivateServer;
  mongo: PrivateServer;
  redis: PrivateServer;
  stopAll(): Promise<void>;
}

/**
 * Starts a private Kafka (KRaft), mongo-java-server and redis-server on free loopback ports, with data, logs
 * and config under `dir` (the jars are shared with the workspace's .infra/lib, read only).
 */
export async function startPrivateBackends(dir: string): Promise<PrivateBackends> {
  fs.mkdirSync(dir, { recursive: true });
  const sharedLib = path.join(path.resolve(__dirname, '../../../..'), '.infra', 'lib');
  const lib = path.join(dir, 'lib');
  if (!fs.existsSync(lib)) fs.symlinkSync(sharedLib, lib, 'dir');
  const [kafkaPort, kafkaControllerPort, mongoPort, redisPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const cfg: InfraConfig = {
    ...loadConfig(),
    kafkaPort,
    kafkaControllerPort,
    mongoPort,
    redisPort,
    kafkaHeap: '384m',
    startTimeoutMs: 120_000,
  };
  const servers = {
    kafka: new ProcessServer('kafka', dir, () => startLocalKafka(cfg)),
    mongo: new ProcessServer('mongo', dir, () => startMongoJavaServer(cfg)),
    redis: new ProcessServer('redis', dir, () => startRedisServer(cfg)),
  };
  const stopAll = async () => {
    await Promise.all(Object.values(servers).map((server) => server.kill('SIGTERM').catch(() => undefined)));
  };
  try {
    await Promise.all(Object.values(servers).map((server) => server.start()));
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { dir, ...servers, stopAll };
}
