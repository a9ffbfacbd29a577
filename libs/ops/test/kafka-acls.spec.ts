import { ALL_TOPICS, deadLetterTopic, Topics } from '@taskflow/contracts';
import { KAFKA_ACLS, KAFKA_PRINCIPALS, kafkaAclTable, parseKafkaAclTable } from '../src/kafka/acls';
import { brokerSecurityProblems, expectedScramUsers, kafkaInitProblems } from '../src/testing/kafka-security';
import { readYaml } from '../src/testing/repo';

describe('the Kafka ACL table (libs/ops/src/kafka/acls.ts)', () => {
  it('round-trips through the text form the deployment scripts read', () => {
    expect(parseKafkaAclTable(kafkaAclTable())).toEqual(KAFKA_ACLS);
    expect(() => parseKafkaAclTable('user-service topic literal')).toThrow(/malformed Kafka ACL line/);
    expect(() => parseKafkaAclTable('user-service cluster literal x WRITE')).toThrow(/malformed/);
  });

  it('grants only the principals it declares, each producer its own topic, and reads to audit-service alone', () => {
    const principals = new Set<string>(Object.values(KAFKA_PRINCIPALS).map((p) => p.name));
    for (const acl of KAFKA_ACLS) expect(principals.has(acl.principal)).toBe(true);
    const grants = (principal: string, operation: string) =>
      KAFKA_ACLS.filter(
        (a) => a.principal === principal && a.resourceType === 'topic' && a.operations.includes(operation as never),
      )
        .flatMap((a) => a.names)
        .sort();
    expect(grants('user-service', 'WRITE')).toEqual([Topics.user]);
    expect(grants('task-service', 'WRITE')).toEqual([Topics.task]);
    expect(grants('backup', 'WRITE')).toEqual([Topics.system]);
    const readers = new Set(KAFKA_ACLS.filter((a) => a.operations.includes('READ')).map((a) => a.principal));
    expect([...readers]).toEqual(['audit-service']);
    expect(grants('audit-service', 'READ')).toEqual([...ALL_TOPICS, ...ALL_TOPICS.map(deadLetterTopic)].sort());
    expect(grants('audit-service', 'DELETE')).toEqual(ALL_TOPICS.map(deadLetterTopic).sort());
  });
});

describe('the checks the compose and k8s specs run', () => {
  const env = {
    KAFKA_ACLS: kafkaAclTable(),
    KAFKA_SCRAM_USERS: expectedScramUsers().join(' '),
  };

  it('accept the table and users as defined, and name a dropped grant, a widened one or a missing user', () => {
    expect(kafkaInitProblems(env)).toEqual([]);
    const lines = kafkaAclTable().split('\n');
    expect(kafkaInitProblems({ ...env, KAFKA_ACLS: lines.slice(1).join('\n') })).toEqual([
      expect.stringContaining('KAFKA_ACLS differs'),
    ]);
    expect(kafkaInitProblems({ ...env, KAFKA_ACLS: lines.join('\n').replace('WRITE\n', 'WRITE,READ\n') })).toEqual([
      expect.stringContaining('KAFKA_ACLS differs'),
    ]);
    expect(kafkaInitProblems({ ...env, KAFKA_SCRAM_USERS: expectedScramUsers().slice(1).join(' ') })).toEqual([
      expect.stringContaining('KAFKA_SCRAM_USERS'),
    ]);
  });

  it('name an open listener, a missing authorizer or a permissive default in a broker script', () => {
    const compose = readYaml<{ services: Record<string, { entrypoint: string[] }> }>('docker-compose.yml');
    const script = compose.services.kafka.entrypoint[2].replaceAll('$$', '$');
    expect(brokerSecurityProblems(script)).toEqual([]);
    expect(
      brokerSecurityProblems(script.replace('listeners=SASL_PLAINTEXT://:9092,', 'listeners=PLAINTEXT://:9092,')),
    ).toEqual(['listener PLAINTEXT://:9092 is neither SASL nor a loopback controller listener']);
    expect(brokerSecurityProblems(script.replace(/^authorizer\.class\.name=.*\n/m, ''))).toEqual([
      expect.stringContaining('authorizer.class.name=undefined'),
    ]);
    expect(
      brokerSecurityProblems(
        script.replace('allow.everyone.if.no.acl.found=false', 'allow.everyone.if.no.acl.found=true'),
      ),
    ).toEqual([expect.stringContaining('allow.everyone.if.no.acl.found=true')]);
  });
});
