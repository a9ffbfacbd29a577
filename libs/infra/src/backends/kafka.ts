import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InfraConfig, infraDir } from '../config';
import { probeKafka } from '../probes';
import { spawnDetached } from '../proc';
import { InfraError, OwnedRecord } from '../types';
import { awaitServerReady } from './server-ready';
import { ensureJars } from './maven';

export const KAFKA_VERSION = '3.9.2';

/** A credential of the broker's SASL configuration. */
export interface KafkaCredential {
  username: string;
  password: string;
}

/**
 * Authentication and authorization for a local broker, as docker compose and Kubernetes run theirs: clients
 * authenticate with SCRAM-SHA-512 on a SASL_PLAINTEXT listener, the StandardAuthorizer refuses whatever no ACL
 * allows, `admin` is the only super user (inter-broker SCRAM; PLAIN on the controller listener, where SCRAM
 * cannot work as its credentials live in the metadata the controller serves). The admin's SCRAM credential is
 * written at format time; other users and the ACLs are the admin's to create.
 */
export interface KafkaSaslSecurity {
  admin: KafkaCredential;
}

const jaasValue = (value: string) => {
  if (/["\\\s,=[\]]/.test(value)) {
    throw new InfraError(
      `Kafka SASL user names and passwords must be URL-safe (no quotes, backslashes, spaces, commas, = or brackets)`,
    );
  }
  return value;
};

function securityProperties({ admin }: KafkaSaslSecurity): string[] {
  const user = jaasValue(admin.username);
  const password = jaasValue(admin.password);
  return [
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    `listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`,
    'sasl.mechanism.controller.protocol=PLAIN',
    'listener.name.controller.sasl.enabled.mechanisms=PLAIN',
    `listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${user}" password="${password}" user_${user}="${password}";`,
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found=false',
    `super.users=User:${user}`,
  ];
}

function properties(cfg: InfraConfig, dataDir: string, security?: KafkaSaslSecurity): string {
  const { host, kafkaPort, kafkaControllerPort } = cfg;
  const client = security ? 'SASL_PLAINTEXT' : 'PLAINTEXT';
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${host}:${kafkaControllerPort}`,
    `listeners=${client}://${host}:${kafkaPort},CONTROLLER://${host}:${kafkaControllerPort}`,
    `advertised.listeners=${client}://${host}:${kafkaPort}`,
    'controller.listener.names=CONTROLLER',
    `inter.broker.listener.name=${client}`,
    `listener.security.protocol.map=${client}:${client},CONTROLLER:${client}`,
    ...(security ? securityProperties(security) : []),
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
 * Without `security` (the development profile) the listener is PLAINTEXT and open; with it, SASL/SCRAM and ACLs.
 */
export async function startLocalKafka(cfg: InfraConfig, security?: KafkaSaslSecurity): Promise<OwnedRecord> {
  const libDir = ensureJars('kafka', `kafka_2.13-${KAFKA_VERSION}`);
  const classpath = `${libDir}${path.sep}*`;
  const dataDir = path.join(infraDir(), 'data', `kafka-${cfg.kafkaPort}`);
  const confDir = path.join(infraDir(), 'conf');
  const propsFile = path.join(confDir, `kafka-${cfg.kafkaPort}.properties`);
  const log4jFile = path.join(confDir, 'kafka-log4j.properties');
  const logFile = path.join(infraDir(), 'logs', `kafka-${cfg.kafkaPort}.log`);
  fs.mkdirSync(confDir, { recursive: true });
  fs.writeFileSync(propsFile, properties(cfg, dataDir, security), { mode: 0o600 });
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
        ...(security
          ? [
              '--add-scram',
              `SCRAM-SHA-512=[name=${jaasValue(security.admin.username)},password=${jaasValue(security.admin.password)}]`,
            ]
          : []),
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
  const sasl = security && { mechanism: 'scram-sha-512' as const, ...security.admin };
  await awaitServerReady(proc, {
    probe: async () => (await probeKafka([brokers], 2000, sasl)) > 0,
    timeoutMs: cfg.startTimeoutMs,
    what: 'Kafka',
    where: brokers,
  });
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
