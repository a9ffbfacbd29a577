/**
 * Who may do what on Kafka: the SCRAM principals of TaskFlow and their ACLs, the single definition that
 * docker compose (`kafka-init`), Kubernetes (`taskflow-kafka-topics` Job) and the broker test
 * (libs/ops/test/kafka-acl.int-spec.ts) apply. The deployment scripts carry it as the text of
 * {@link kafkaAclTable} in `KAFKA_ACLS`; libs/ops/test/docker-compose.spec.ts and k8s-manifests.spec.ts fail
 * when their copy differs from this one.
 *
 * Brokers run with `allow.everyone.if.no.acl.found=false` (Apache Kafka StandardAuthorizer, KIP-801): what is
 * not granted here is refused. Operations imply DESCRIBE (READ, WRITE, DELETE do); idempotent producers need
 * no cluster IDEMPOTENT_WRITE since Kafka 3.0 (WRITE on a topic suffices, KIP-679).
 */
import { ALL_TOPICS, deadLetterTopic, Topics } from '@taskflow/contracts';

/** The broker's super user: inter-broker traffic and the init/topics jobs (topics, SCRAM users, ACLs). */
export const KAFKA_ADMIN_PRINCIPAL = 'taskflow-kafka-admin';

/** SCRAM user names (principal `User:<name>`) of the services, and the env var holding each password. */
export const KAFKA_PRINCIPALS = {
  userService: { name: 'user-service', passwordVar: 'KAFKA_USER_SERVICE_PASSWORD' },
  taskService: { name: 'task-service', passwordVar: 'KAFKA_TASK_SERVICE_PASSWORD' },
  auditService: { name: 'audit-service', passwordVar: 'KAFKA_AUDIT_SERVICE_PASSWORD' },
  backup: { name: 'backup', passwordVar: 'KAFKA_BACKUP_PASSWORD' },
} as const;
export const KAFKA_ADMIN_PASSWORD_VAR = 'KAFKA_ADMIN_PASSWORD';

/** audit-service's consumer groups: `taskflow-audit` (AUDIT_CONSUMER_GROUP) and the replay groups after it. */
export const AUDIT_CONSUMER_GROUP_PREFIX = 'taskflow-audit';

export type KafkaAclOperation = 'READ' | 'WRITE' | 'DELETE';

/** One grant: `principal` may do `operations` on the topics/groups named (literally or by prefix). */
export interface KafkaAcl {
  principal: string;
  resourceType: 'topic' | 'group';
  patternType: 'literal' | 'prefixed';
  names: readonly string[];
  operations: readonly KafkaAclOperation[];
}

const P = KAFKA_PRINCIPALS;
const dlqs = ALL_TOPICS.map(deadLetterTopic);

export const KAFKA_ACLS: readonly KafkaAcl[] = [
  // Each producer writes its own topic, nothing else, and reads nothing.
  {
    principal: P.userService.name,
    resourceType: 'topic',
    patternType: 'literal',
    names: [Topics.user],
    operations: ['WRITE'],
  },
  {
    principal: P.taskService.name,
    resourceType: 'topic',
    patternType: 'literal',
    names: [Topics.task],
    operations: ['WRITE'],
  },
  {
    principal: P.backup.name,
    resourceType: 'topic',
    patternType: 'literal',
    names: [Topics.system],
    operations: ['WRITE'],
  },
  // audit-service consumes the four topics and writes system (maintenance) and audit events of its own, plus
  // the dead letters it redrives back to their original topic; the signature check stops anything it forges.
  {
    principal: P.auditService.name,
    resourceType: 'topic',
    patternType: 'literal',
    names: ALL_TOPICS,
    operations: ['READ', 'WRITE'],
  },
  // Dead letters: written on failure, listed and redriven (READ), purged with DeleteRecords (DELETE).
  {
    principal: P.auditService.name,
    resourceType: 'topic',
    patternType: 'literal',
    names: dlqs,
    operations: ['READ', 'WRITE', 'DELETE'],
  },
  {
    principal: P.auditService.name,
    resourceType: 'group',
    patternType: 'prefixed',
    names: [AUDIT_CONSUMER_GROUP_PREFIX],
    operations: ['READ'],
  },
];

/**
 * The ACLs as the deployment scripts read them: one line per grant,
 * `<principal> <topic|group> <literal|prefixed> <name,name…> <OPERATION,OPERATION…>`.
 */
export function kafkaAclTable(acls: readonly KafkaAcl[] = KAFKA_ACLS): string {
  return acls
    .map((acl) =>
      [acl.principal, acl.resourceType, acl.patternType, acl.names.join(','), acl.operations.join(',')].join(' '),
    )
    .join('\n');
}

/** Parses {@link kafkaAclTable}'s format (blank lines ignored); throws naming the first malformed line. */
export function parseKafkaAclTable(text: string): KafkaAcl[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [principal, resourceType, patternType, names, operations, ...rest] = line.split(/\s+/);
      if (
        rest.length > 0 ||
        !operations ||
        !['topic', 'group'].includes(resourceType) ||
        !['literal', 'prefixed'].includes(patternType)
      ) {
        throw new Error(`malformed Kafka ACL line: ${JSON.stringify(line)}`);
      }
      return {
        principal,
        resourceType: resourceType as KafkaAcl['resourceType'],
        patternType: patternType as KafkaAcl['patternType'],
        names: names.split(','),
        operations: operations.split(',') as KafkaAclOperation[],
      };
    });
}
