import { MongoClient } from 'mongodb';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InfraConfig, infraDir, workspaceRoot } from '../config';
import { sleep } from '../net';
import { probeMongo } from '../probes';
import { DetachedProcess, spawnDetached, stopProcess, which } from '../proc';
import { InfraError, OwnedRecord } from '../types';
import { ensureJars } from './maven';
import { awaitServerReady } from './server-ready';

export function mongoUrl(cfg: InfraConfig, query = ''): string {
  return `mongodb://${cfg.host}:${cfg.mongoPort}/taskflow${query}`;
}

function waitReady(cfg: InfraConfig, url: string, proc: DetachedProcess, what: string): Promise<void> {
  return awaitServerReady(proc, {
    probe: async () => !!(await probeMongo(url, 1500)),
    timeoutMs: cfg.startTimeoutMs,
    what,
    where: `${cfg.host}:${cfg.mongoPort}`,
  });
}

/** A real mongod from PATH, as a one-member replica set (so transactions and change streams work). */
export async function startMongod(cfg: InfraConfig, binary: string): Promise<OwnedRecord> {
  const dataDir = path.join(infraDir(), 'data', `mongod-${cfg.mongoPort}`);
  const logFile = path.join(infraDir(), 'logs', `mongod-${cfg.mongoPort}.log`);
  fs.mkdirSync(dataDir, { recursive: true });
  const proc = spawnDetached(
    binary,
    ['--bind_ip', cfg.host, '--port', String(cfg.mongoPort), '--dbpath', dataDir, '--replSet', 'rs0', '--quiet'],
    logFile,
  );
  const direct = mongoUrl(cfg, '?directConnection=true');
  await waitReady(cfg, direct, proc, 'mongod');
  await initiateReplicaSet(cfg, direct).catch(async (error: Error) => {
    await stopProcess(proc.pid, { group: true, timeoutMs: 5000 });
    throw error;
  });
  return {
    name: 'mongo',
    provider: 'mongod',
    url: mongoUrl(cfg, '?replicaSet=rs0&directConnection=true'),
    pid: proc.pid,
    port: cfg.mongoPort,
    dataDir,
    logFile,
    cmdlineMarker: dataDir,
    standIn: false,
    startedAt: new Date().toISOString(),
  };
}

/** Makes the just-started mongod the primary of the one-member replica set rs0 (waits at most 30 s). */
async function initiateReplicaSet(cfg: InfraConfig, directUrl: string): Promise<void> {
  const client = new MongoClient(directUrl, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.connect();
    const admin = client.db('admin');
    try {
      await admin.command({
        replSetInitiate: { _id: 'rs0', members: [{ _id: 0, host: `${cfg.host}:${cfg.mongoPort}` }] },
      });
    } catch (error) {
      if (!/already initialized/i.test((error as Error).message)) throw error;
    }
    const deadline = Date.now() + 30_000;
    while (!(await admin.command({ hello: 1 })).isWritablePrimary) {
      if (Date.now() > deadline) throw new InfraError('mongod replica set rs0 did not elect a primary within 30 s');
      await sleep(250);
    }
  } finally {
    await client.close();
  }
}

/** mongo-java-server (MongoDB wire protocol, H2 file backend so data survives restarts) via infra/mongo/MongoLauncher.java. */
export async function startMongoJavaServer(cfg: InfraConfig): Promise<OwnedRecord> {
  if (!which('java'))
    throw new InfraError('No mongod found and no JDK to run mongo-java-server: install openjdk-17 or set MONGO_URL.');
  const libDir = ensureJars('mongo', 'mongo-java-server-core');
  const dataDir = path.join(infraDir(), 'data', 'mongo');
  const h2File = path.join(dataDir, `taskflow-${cfg.mongoPort}.mv.db`);
  const logFile = path.join(infraDir(), 'logs', `mongo-java-server-${cfg.mongoPort}.log`);
  fs.mkdirSync(dataDir, { recursive: true });
  const launcher = path.join(workspaceRoot(), 'infra', 'mongo', 'MongoLauncher.java');
  const proc = spawnDetached(
    'java',
    ['-Xmx256m', '-cp', `${libDir}${path.sep}*`, launcher, cfg.host, String(cfg.mongoPort), h2File],
    logFile,
  );
  const url = mongoUrl(cfg);
  await waitReady(cfg, url, proc, 'mongo-java-server');
  return {
    name: 'mongo',
    provider: 'mongo-java-server',
    url,
    pid: proc.pid,
    port: cfg.mongoPort,
    dataDir: h2File,
    logFile,
    cmdlineMarker: h2File,
    standIn: true,
    startedAt: new Date().toISOString(),
  };
}

export function findMongod(): string | undefined {
  return process.env.MONGOD_BINARY || which('mongod');
}
