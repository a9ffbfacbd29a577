import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KafkaAcl,
  KAFKA_ACLS,
  KAFKA_ADMIN_PRINCIPAL,
  KAFKA_PRINCIPALS,
  kafkaAclTable,
  parseKafkaAclTable,
} from '../kafka/acls';

/**
 * The broker settings TaskFlow's deployments must run Kafka with (docker compose `kafka`, the dev StatefulSet):
 * SASL/SCRAM-SHA-512 on every client listener, the KRaft StandardAuthorizer denying what no ACL allows, the
 * admin as the only super user. Keys are server.properties names; values as the deployment writes them.
 */
export const SECURED_BROKER_SETTINGS: Readonly<Record<string, string>> = {
  'process.roles': 'broker,controller',
  'controller.quorum.voters': '1@localhost:9093',
  'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
  'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
  'inter.broker.listener.name': 'SASL_PLAINTEXT',
  'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  'allow.everyone.if.no.acl.found': 'false',
  'super.users': 'User:$admin',
  'auto.create.topics.enable': 'false',
};

/** The server.properties a broker start script writes (`cat > /tmp/server.properties <<EOF … EOF`), as a map. */
export function brokerProperties(script: string): Record<string, string> {
  const body = /cat > \/tmp\/server\.properties <<EOF\n([\s\S]*?)\nEOF/.exec(script)?.[1] ?? '';
  return Object.fromEntries(
    body
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/**
 * Why a broker start script would not run Kafka secured (empty when it would): a missing or different
 * {@link SECURED_BROKER_SETTINGS} value, a client listener that is not SASL, a controller listener reachable
 * from outside the pod, or no admin SCRAM credential at format time.
 */
export function brokerSecurityProblems(script: string): string[] {
  const props = brokerProperties(script);
  const problems: string[] = [];
  if (!script.includes(`admin=${KAFKA_ADMIN_PRINCIPAL}\n`)) problems.push(`admin is not ${KAFKA_ADMIN_PRINCIPAL}`);
  for (const [key, value] of Object.entries(SECURED_BROKER_SETTINGS)) {
    if (props[key] !== value) problems.push(`${key}=${props[key]} (expected ${value})`);
  }
  for (const listener of (props.listeners ?? '').split(',')) {
    if (!/^(SASL_PLAINTEXT|SASL_SSL):\/\/:\d+$|^CONTROLLER:\/\/localhost:\d+$/.test(listener)) {
      problems.push(`listener ${listener} is neither SASL nor a loopback controller listener`);
    }
  }
  for (const entry of (props['listener.security.protocol.map'] ?? '').split(',')) {
    if (!/:SASL_(PLAINTEXT|SSL)$/.test(entry)) problems.push(`listener.security.protocol.map ${entry} is not SASL`);
  }
  if (!/^SASL_(PLAINTEXT|SSL):\/\//.test(props['advertised.listeners'] ?? '')) {
    problems.push(`advertised.listeners=${props['advertised.listeners']} is not SASL`);
  }
  if (!script.includes('--add-scram "SCRAM-SHA-512=[name=$admin,password=$KAFKA_ADMIN_PASSWORD]"')) {
    problems.push('no admin SCRAM credential at format time');
  }
  return problems;
}

/** `KAFKA_SCRAM_USERS` as the init scripts read it: `user=PASSWORD_VAR …`, one per principal of acls.ts. */
export function expectedScramUsers(): string[] {
  return Object.values(KAFKA_PRINCIPALS).map((p) => `${p.name}=${p.passwordVar}`);
}

/**
 * Why a Kafka init environment (compose `kafka-init`, the k8s topics Job) would not grant exactly the
 * principals and ACLs of libs/ops/src/kafka/acls.ts (empty when it would).
 */
export function kafkaInitProblems(env: Record<string, unknown>): string[] {
  const problems: string[] = [];
  try {
    const acls = parseKafkaAclTable(String(env.KAFKA_ACLS ?? ''));
    if (JSON.stringify(acls) !== JSON.stringify(KAFKA_ACLS)) {
      problems.push(
        `KAFKA_ACLS differs from libs/ops/src/kafka/acls.ts:\n${kafkaAclTable(acls)}\nexpected:\n${kafkaAclTable()}`,
      );
    }
  } catch (error) {
    problems.push(`KAFKA_ACLS: ${(error as Error).message}`);
  }
  const users = String(env.KAFKA_SCRAM_USERS ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .sort();
  if (JSON.stringify(users) !== JSON.stringify(expectedScramUsers().sort())) {
    problems.push(`KAFKA_SCRAM_USERS ${users.join(' ')} differs from ${expectedScramUsers().join(' ')}`);
  }
  return problems;
}

/** The arguments `kafka-acls.sh --add` must get for one grant (after the connection options). */
export function kafkaAclsAddArguments(acl: KafkaAcl): string {
  return [
    `--allow-principal User:${acl.principal} --resource-pattern-type ${acl.patternType}`,
    ...acl.names.map((name) => `--${acl.resourceType} ${name}`),
    ...acl.operations.map((operation) => `--operation ${operation}`),
  ].join(' ');
}

/**
 * Runs a Kafka init script (compose `kafka-init`, the k8s topics Job) with stand-ins for kafka-topics.sh,
 * kafka-configs.sh and kafka-acls.sh (paths `/opt/kafka/bin/…` replaced) in a scratch TMPDIR. Each call is
 * recorded as `<tool> <arguments> | CONFIG <the --command-config file, lines joined with ";">`.
 */
export function runWithKafkaToolStandIns(
  script: string,
  env: Record<string, string | undefined>,
): { status: number | null; stderr: string; calls: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'taskflow-kafka-tools-'));
  try {
    const tools = ['kafka-topics.sh', 'kafka-configs.sh', 'kafka-acls.sh'];
    for (const tool of tools) {
      writeFileSync(
        join(dir, tool),
        [
          '#!/usr/bin/env bash',
          'config=""; args=("$@")',
          'for i in "${!args[@]}"; do [[ "${args[$i]}" == --command-config ]] && config="${args[$((i + 1))]}"; done',
          `echo "${tool} $* | CONFIG $( [[ -n "$config" ]] && tr "\\n" ";" < "$config" )" >> "$STUB_LOG"`,
        ].join('\n'),
      );
      chmodSync(join(dir, tool), 0o755);
    }
    const log = join(dir, 'calls.log');
    const result = spawnSync('bash', ['-c', script.replaceAll('/opt/kafka/bin/', `${dir}/`)], {
      env: { PATH: process.env.PATH, ...env, TMPDIR: dir, STUB_LOG: log },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'], // a socket as stdin would make bash read ~/.bashrc
    });
    const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
    // The scratch directory's path varies: callers see it as $TMPDIR.
    return {
      status: result.status,
      stderr: result.stderr,
      calls: calls.map((call) => call.replaceAll(dir, '$TMPDIR')),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
