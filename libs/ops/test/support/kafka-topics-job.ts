import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { infraDir } from '@taskflow/infra';
import { parseYamlStream, readRepoFile } from '../../src/testing/repo';

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are read at arbitrary paths */

/**
 * Runs the script of the `taskflow-kafka-topics` Job (k8s/base/migration-job.yaml, the one that creates the
 * SCRAM users and applies the ACL table) against `brokers`, with the environment the Job gets plus `env`
 * (its Secret values). kafka-configs.sh and kafka-acls.sh are the real Kafka tools (the 3.9 jars in
 * .infra/lib/kafka); kafka-topics.sh records its calls only, because its class lives in kafka-tools, which those
 * jars do not include: the caller creates the topics itself. Throws with the script's output when it fails.
 * Returns the recorded kafka-topics.sh argument lines.
 */
export function runKafkaTopicsJob(brokers: string, env: Record<string, string>): string[] {
  const job = parseYamlStream(readRepoFile('k8s', 'base', 'migration-job.yaml')).find(
    (doc: any) => doc.kind === 'Job' && doc.metadata.name === 'taskflow-kafka-topics',
  ) as any;
  const container = job.spec.template.spec.containers[0];
  const jobEnv = Object.fromEntries(
    container.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, String(e.value)]),
  );
  const dir = mkdtempSync(join(tmpdir(), 'taskflow-kafka-job-'));
  try {
    const java = (mainClass: string) =>
      [
        '#!/usr/bin/env bash',
        `exec java -Xmx128m -XX:TieredStopAtLevel=1 -Dlog4j.configuration=file:${join(dir, 'log4j.properties')} \\`,
        `  -cp "${join(infraDir(), 'lib', 'kafka')}/*" ${mainClass} "$@"`,
      ].join('\n');
    writeFileSync(
      join(dir, 'log4j.properties'),
      'log4j.rootLogger=WARN, stderr\nlog4j.appender.stderr=org.apache.log4j.ConsoleAppender\nlog4j.appender.stderr.Target=System.err\nlog4j.appender.stderr.layout=org.apache.log4j.PatternLayout\n',
    );
    writeFileSync(join(dir, 'kafka-configs.sh'), java('kafka.admin.ConfigCommand'));
    writeFileSync(join(dir, 'kafka-acls.sh'), java('kafka.admin.AclCommand'));
    writeFileSync(join(dir, 'kafka-topics.sh'), '#!/usr/bin/env bash\necho "$*" >> "$TOPICS_LOG"\n');
    for (const tool of ['kafka-configs.sh', 'kafka-acls.sh', 'kafka-topics.sh']) chmodSync(join(dir, tool), 0o755);
    const script = String(container.command[2]).replaceAll('/opt/kafka/bin/', `${dir}/`);
    const result = spawnSync('bash', ['-c', script], {
      env: {
        PATH: process.env.PATH,
        ...jobEnv,
        KAFKA_BROKERS: brokers,
        KAFKA_TOPIC_PARTITIONS: '1',
        KAFKA_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_SSL: 'false',
        TMPDIR: dir,
        TOPICS_LOG: join(dir, 'topics.log'),
        ...env,
      },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 180_000,
    });
    if (result.status !== 0) {
      throw new Error(`taskflow-kafka-topics script failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
    }
    return readFileSync(join(dir, 'topics.log'), 'utf8').trim().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
