import { KAFKA_ACLS, KAFKA_ADMIN_PRINCIPAL, KAFKA_PRINCIPALS, kafkaAclTable, parseKafkaAclTable } from '../kafka/acls';

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
