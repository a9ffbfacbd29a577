import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InfraConfig, infraDir } from '../config';
import { waitUntil } from '../net';
import { probeKafka } from '../probes';
import { isAlive, spawnDetached, tail } from '../proc';
import { InfraError, OwnedRecord } from '../types';
import { ensureJars } from './maven';

export const KAFKA_VERSION = '3.9.2';

function properties(cfg: InfraConfig, dataDir: string): string {
  const { host, kafkaPort, kafkaControllerPort } = cfg;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${host}:${kafkaControllerPort}`,
    `listeners=PLAINTEXT://${host}:${kafkaPort},CONTROLLER://${host}:${kafkaControllerPort}`,
    `advertised.listeners=PLAINTEXT://${host}:${kafkaPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=3',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    '',
  ].join('\n');
}

const LOG4J = [
  'log4j.rootLogger=INFO, stdout',
  'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
  'log4j.logger.kafka=INFO',
  'log4j.logger.org.apache.kafka=WARN',
  'log4j.logger.state.change.logger=WARN',
  '',
].join('\n');

/**
 * Starts Apache Kafka 3.9.x (jars from Maven Central) as a single KRaft broker+controller on loopback.
 * Storage is formatted once under .infra/data/kafka-<port>; later starts reuse it.
 */
export async function startLocalKafka(cfg: InfraConfig): Promise<OwnedRecord> {
  const libDir = ensureJars('kafka', `kafka_2.13-${KAFKA_VERSION}`);
  const classpath = `${libDir}${path.sep}*`;
  const dataDir = path.join(infraDir(), 'data', `kafka-${cfg.kafkaPort}`);
  const confDir = path.join(infraDir(), 'conf');
  const propsFile = path.join(confDir, `kafka-${cfg.kafkaPort}.properties`);
  const log4jFile = path.join(confDir, 'kafka-log4j.properties');
  const logFile = path.join(infraDir(), 'logs', `kafka-${cfg.kafkaPort}.log`);
  fs.mkdirSync(confDir, { recursive: true });
  fs.writeFileSync(propsFile, properties(cfg, dataDir));
  fs.writeFileSync(log4jFile, LOG4J);
  const jvm = [`-Dlog4j.configuration=file:${log4jFile}`, '-Djava.awt.headless=true'];

  if (!fs.existsSync(path.join(dataDir, 'meta.properties'))) {
    fs.mkdirSync(dataDir, { recursive: true });
    const uuid = spawnSync('java', [...jvm, '-cp', classpath, 'kafka.tools.StorageTool', 'random-uuid'], {
      encoding: 'utf8',
    });
    const clusterId = uuid.stdout.trim().split('\n').pop()?.trim();
    if (uuid.status !== 0 || !clusterId)
      throw new InfraError(`Kafka StorageTool random-uuid failed: ${uuid.stderr.trim().slice(-500)}`);
    const format = spawnSync(
      'java',
      [
        ...jvm,
        '-cp',
        classpath,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        propsFile,
        '--ignore-formatted',
      ],
      { encoding: 'utf8' },
    );
    if (format.status !== 0)
      throw new InfraError(`Kafka storage format failed: ${(format.stderr || format.stdout).trim().slice(-500)}`);
  }

  const proc = spawnDetached(
    'java',
    [
      `-Xmx${cfg.kafkaHeap}`,
      `-Xms${cfg.kafkaHeap === '512m' ? '256m' : cfg.kafkaHeap}`,
      ...jvm,
      '-cp',
      classpath,
      'kafka.Kafka',
      propsFile,
    ],
    logFile,
  );
  const brokers = `${cfg.host}:${cfg.kafkaPort}`;
  try {
    await waitUntil(async () => (await probeKafka([brokers], 2000)) > 0, {
      timeoutMs: cfg.startTimeoutMs,
      intervalMs: 500,
      describe: `Kafka on ${brokers}`,
      failFast: () => (isAlive(proc.pid) ? undefined : `Kafka exited:\n${tail(logFile)}`),
    });
  } catch (error) {
    throw new InfraError(`${(error as Error).message} (log: ${logFile})`);
  }
  return {
    name: 'kafka',
    provider: 'local-process',
    url: brokers,
    pid: proc.pid,
    port: cfg.kafkaPort,
    dataDir,
    logFile,
    cmdlineMarker: propsFile,
    startedAt: new Date().toISOString(),
  };
}
