import { ensureKafkaTopics, InfraConfig, KafkaSaslSecurity, loadConfig, OwnedRecord } from '@taskflow/infra';
import { freePort } from '@taskflow/testing';
import * as fs from 'node:fs';
// Not (yet) exported by @taskflow/infra's index: the launchers the shared infrastructure uses, on other ports.
// eslint-disable-next-line @nx/enforce-module-boundaries -- launchers not exported by @taskflow/infra
import { startLocalKafka } from '../../../infra/src/backends/kafka';
// eslint-disable-next-line @nx/enforce-module-boundaries -- launchers not exported by @taskflow/infra
import { startMongoJavaServer } from '../../../infra/src/backends/mongo';
// eslint-disable-next-line @nx/enforce-module-boundaries -- launchers not exported by @taskflow/infra
import { startRedisServer } from '../../../infra/src/backends/redis';
// eslint-disable-next-line @nx/enforce-module-boundaries -- launchers not exported by @taskflow/infra
import { stopProcess } from '../../../infra/src/proc';

/** A server owned by one test: stopped and started again on the same port, by its pid only. */
export interface PrivateBackend {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its data. */
  dispose(): Promise<void>;
}

async function privateBackend(
  launch: (cfg: InfraConfig) => Promise<OwnedRecord>,
  cfg: InfraConfig,
  afterStart: (record: OwnedRecord) => Promise<void> = async () => undefined,
): Promise<PrivateBackend> {
  let record: OwnedRecord | undefined = await launch(cfg);
  await afterStart(record);
  const url = record.url!;
  const stop = async () => {
    if (!record?.pid) return;
    const { pid, port } = record;
    record = undefined;
    // SIGKILL: an outage, not a graceful shutdown.
    await stopProcess(pid, { signal: 'SIGKILL', port });
  };
  return {
    url,
    stop,
    start: async () => {
      if (!record) record = await launch(cfg);
    },
    dispose: async () => {
      const dataDir = record?.dataDir;
      await stop();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function config(overrides: Partial<InfraConfig>): Promise<InfraConfig> {
  return { ...loadConfig(), startTimeoutMs: 120_000, ...overrides };
}

/** A single-node KRaft Kafka with the system topics. */
export async function startPrivateKafka(): Promise<PrivateBackend> {
  const cfg = await config({ kafkaPort: await freePort(), kafkaControllerPort: await freePort(), kafkaHeap: '256m' });
  return privateBackend(startLocalKafka, cfg, async (record) => {
    await ensureKafkaTopics(record.url!, undefined, { partitions: 1 });
  });
}

/** A single-node KRaft Kafka requiring SASL/SCRAM, with the StandardAuthorizer and no topics or ACLs yet. */
export async function startPrivateSaslKafka(security: KafkaSaslSecurity): Promise<PrivateBackend> {
  const cfg = await config({ kafkaPort: await freePort(), kafkaControllerPort: await freePort(), kafkaHeap: '256m' });
  return privateBackend((c) => startLocalKafka(c, security), cfg);
}

export async function startPrivateRedis(): Promise<PrivateBackend> {
  return privateBackend(startRedisServer, await config({ redisPort: await freePort() }));
}

/** mongo-java-server with an H2 file, so the data survives a stop/start. */
export async function startPrivateMongo(): Promise<PrivateBackend> {
  return privateBackend(startMongoJavaServer, await config({ mongoPort: await freePort() }));
}
