import { loadConfig, rpcTlsSpec, tlsSettings } from '@taskflow/config';
import { ALL_TOPICS, deadLetterTopic } from '@taskflow/contracts';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KAFKA_ACLS, KAFKA_ADMIN_PRINCIPAL, KAFKA_PRINCIPALS } from '../src/kafka/acls';
import { kafkaAclsAddArguments, runWithKafkaToolStandIns } from '../src/testing/kafka-security';
import { kubectlVersion } from '../src/testing/k8s';
import { repoPath } from '../src/testing/repo';
import {
  expandKubernetesValue,
  interpolateCompose,
  kubeletEnvironment,
  composeContainerVariants,
  OVERLAY_PROFILES,
  overlayContainers,
  REALISTIC_SECRETS,
  StartedContainer,
} from '../src/testing/workload-env';

// The parts of the deployment contract outside the apps' own config loaders (each app's
// test/deployment-contract.spec.ts loads its containers): that those cover every container, the Kafka topics
// Job, and deploy.sh's refusal to deploy placeholder secrets.

const OVERLAYS = Object.keys(OVERLAY_PROFILES) as (keyof typeof OVERLAY_PROFILES)[];
const APP_IMAGE = /\/?taskflow\/(api-gateway|user-service|task-service|audit-service):/;
const describeIfKubectl = kubectlVersion() ? describe : describe.skip;

function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'taskflow-deploy-contract-'));
}

describe('the models of the kubelet and of docker compose the contract relies on', () => {
  it('expands $(VAR) as the kubelet does: earlier variables only, $$ escapes, unknown references kept', () => {
    expect(expandKubernetesValue('a$(X)b$$(X)c$(NOPE)', { X: '1' })).toBe('a1b$(X)c$(NOPE)');
    const container = {
      envFrom: [{ configMapRef: { name: 'cfg' } }],
      env: [
        { name: 'URL', value: 'x://$(USER):$(PASS)@$(HOST)' },
        { name: 'PASS', valueFrom: { secretKeyRef: { name: 's', key: 'PASS' } } },
        { name: 'GONE', valueFrom: { secretKeyRef: { name: 's', key: 'MISSING' } } },
      ],
    };
    expect(kubeletEnvironment(container, { cfg: { HOST: 'h', USER: 'u' } }, { s: { PASS: 'p' } })).toEqual({
      env: { HOST: 'h', USER: 'u', URL: 'x://u:$(PASS)@h', PASS: 'p' },
      problems: ['URL: unresolved $(PASS)', 'Secret s has no key MISSING'],
    });
  });

  it('interpolates ${VAR:-default}, ${VAR:?message} and $$ as docker compose does, and refuses forms it does not model', () => {
    expect(interpolateCompose('${A:-d}/${B:-d}/${C}/$$x', { A: 'a', B: '' })).toBe('a/d//$x');
    expect(interpolateCompose('${A:?required}', { A: 'a' })).toBe('a');
    expect(() => interpolateCompose('${A:?required}', { A: '' })).toThrow('A: required');
    expect(() => interpolateCompose('${A:+alt}', {})).toThrow(/not modelled/);
  });
});

/**
 * What the gateway and the services of one deployment agree on for mutual TLS (libs/config rpcTlsSpec): all on, the
 * gateway's client certificate signed by a CA the services trust, each service's server certificate signed by a CA
 * the gateway trusts and naming the host the gateway dials (USER_SERVICE_HOST / TASK_SERVICE_HOST). Returns the
 * disagreements, empty when a handshake would succeed both ways.
 */
function rpcTlsDisagreements(containers: StartedContainer[]): string[] {
  const main = (app: string) =>
    containers.find((c) => c.image.includes(`taskflow/${app}:`) && c.command.endsWith(`${app}/src/main.js`))!;
  const tlsOf = (container: StartedContainer) => loadConfig({ tls: rpcTlsSpec() }, container.env).tls;
  const chainsTo = (cert: string, ca: string) =>
    (ca.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).some((authority) =>
      new X509Certificate(cert).verify(new X509Certificate(authority).publicKey),
    );
  const gateway = main('api-gateway');
  const client = tlsOf(gateway);
  if (!client.enabled) return [`${gateway.where}: RPC_TLS is off`];
  const problems: string[] = [];
  for (const [app, hostVariable] of [
    ['user-service', 'USER_SERVICE_HOST'],
    ['task-service', 'TASK_SERVICE_HOST'],
  ] as const) {
    const service = main(app);
    const server = tlsOf(service);
    if (!server.enabled) {
      problems.push(`${service.where}: RPC_TLS is off`);
      continue;
    }
    if (!chainsTo(client.cert, server.ca)) problems.push(`${app} does not trust the gateway's client certificate`);
    if (!chainsTo(server.cert, client.ca)) problems.push(`the gateway does not trust ${app}'s certificate`);
    const host = gateway.env[hostVariable];
    if (!new X509Certificate(server.cert).checkHost(host)) problems.push(`${app}'s certificate does not name ${host}`);
  }
  return problems;
}

describe('docker compose: the gateway reaches the services over mutual TLS', () => {
  it('with the certificates of `node tools/run.js rpc-certs`, both ends on and each trusting the other', () => {
    const containers = composeContainerVariants().filter((c) => c.where.endsWith('(secrets from .env)'));
    expect(rpcTlsDisagreements(containers)).toEqual([]);
  });
});

describeIfKubectl.each(OVERLAYS)('deployment contract, overlay %s', (overlay) => {
  let containers: StartedContainer[];
  beforeAll(() => {
    containers = overlayContainers(overlay);
  });

  it('every container of every workload gets every Secret/ConfigMap key and $(VAR) it references', () => {
    expect(containers.filter((c) => c.problems.length > 0).map((c) => `${c.where}: ${c.problems}`)).toEqual([]);
  });

  it('the gateway reaches user-service and task-service over mutual TLS (certificates, CA and host names agree)', () => {
    expect(rpcTlsDisagreements(containers)).toEqual([]);
  });

  it("every Deployment and Job container is covered: an app image (its app's contract test) or a Job checked here", () => {
    const checkedHere = ['Job/taskflow-kafka-topics/create-topics'];
    const uncovered = containers
      .filter((c) => /^(Deployment|Job)$/.test(c.where.split(' ')[1].split('/')[0]))
      .filter((c) => !APP_IMAGE.test(c.image) && !checkedHere.some((where) => c.where.includes(where)))
      // The in-cluster backends' own Jobs (MongoDB replica-set initiation) read no TaskFlow configuration.
      .filter((c) => !c.where.includes('Job/taskflow-mongo-init/'))
      .map((c) => c.where);
    expect(uncovered).toEqual([]);
  });

  it('the Kafka topics Job creates every topic and its .dlq, the SCRAM users and the ACLs, as the admin over SASL (TLS exactly when the apps use it)', () => {
    const job = containers.find((c) => c.where.endsWith('Job/taskflow-kafka-topics/create-topics'))!;
    const command: string[] = job.manifest.command.map((part: string) => expandKubernetesValue(part, job.env));
    expect(command.slice(0, 2)).toEqual(['bash', '-c']);
    const run = (extra: Record<string, string> = {}) => {
      const result = runWithKafkaToolStandIns(command[2], { ...job.env, ...extra });
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      return result.calls;
    };

    const calls = run();
    const of = (tool: string) => calls.filter((call) => call.startsWith(`${tool} `));
    const created = of('kafka-topics.sh')
      .map((call) => /--topic (\S+)/.exec(call)?.[1])
      .sort();
    expect(created).toEqual([...ALL_TOPICS, ...ALL_TOPICS.map(deadLetterTopic)].sort());
    for (const call of of('kafka-topics.sh')) {
      expect(call).toContain(`--replication-factor ${job.env.KAFKA_TOPIC_REPLICATION_FACTOR}`);
    }
    const connection = `--bootstrap-server ${job.env.KAFKA_BROKERS} --command-config $TMPDIR/kafka-client.properties`;
    // Every principal's SCRAM credential, with its own password from the Secret.
    expect(of('kafka-configs.sh').map((call) => call.split(' | ')[0])).toEqual(
      Object.values(KAFKA_PRINCIPALS).map(
        (p) =>
          `kafka-configs.sh ${connection} --alter --entity-type users --entity-name ${p.name} --add-config SCRAM-SHA-512=[password=${REALISTIC_SECRETS[p.passwordVar]}]`,
      ),
    );
    // One kafka-acls.sh --add per line of the ACL table, naming exactly its resources and operations.
    expect(of('kafka-acls.sh').map((call) => call.split(' | ')[0])).toEqual(
      KAFKA_ACLS.map((acl) => `kafka-acls.sh ${connection} --add ${kafkaAclsAddArguments(acl)}`),
    );
    // The apps' rule (libs/config): KAFKA_SSL, else on in the production profile.
    const appsUseTls = tlsSettings('KAFKA_SSL')(job.env, []).enabled;
    expect(appsUseTls).toBe(overlay !== 'dev');
    const jaas = `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${KAFKA_ADMIN_PRINCIPAL}" password="${REALISTIC_SECRETS.KAFKA_ADMIN_PASSWORD}";`;
    for (const call of calls) {
      expect(call).toContain(connection);
      expect({ call, config: call.split(' | CONFIG ')[1] }).toEqual({
        call,
        config: `security.protocol=${appsUseTls ? 'SASL_SSL' : 'SASL_PLAINTEXT'};sasl.mechanism=SCRAM-SHA-512;${jaas};`,
      });
    }
    if (appsUseTls) {
      const withCa = run({ KAFKA_SSL_CA_FILE: '/etc/taskflow/kafka-ca.pem' });
      for (const call of withCa) {
        expect(call).toContain('ssl.truststore.type=PEM;ssl.truststore.location=/etc/taskflow/kafka-ca.pem;');
      }
    }
  });
});

describeIfKubectl('k8s/deploy.sh refuses a Secret that still holds placeholders', () => {
  const kubectl = spawnSync('bash', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim();

  /**
   * Runs deploy.sh for prod against a fake cluster whose taskflow-secrets holds `secret`: a kubectl stand-in
   * that renders with the real kubectl, answers `get secret` as kubectl does (go-template with base64decode,
   * or jsonpath .data as base64) and records every other call.
   */
  function deploy(secret: Record<string, string>) {
    const dir = scratchDir();
    try {
      const decoded = join(dir, 'secret.decoded');
      const data = join(dir, 'secret.data.json');
      writeFileSync(
        decoded,
        Object.entries(secret)
          .map(([k, v]) => `${k}=${v}\n`)
          .join(''),
      );
      writeFileSync(
        data,
        JSON.stringify(
          Object.fromEntries(Object.entries(secret).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
        ),
      );
      writeFileSync(
        join(dir, 'kubectl'),
        [
          '#!/usr/bin/env bash',
          `[[ "$1" == kustomize ]] && exec ${kubectl} "$@"`,
          'echo "kubectl $*" >> "$STUB_DIR/calls.log"',
          'if [[ "$*" == *"get secret taskflow-secrets"* ]]; then',
          `  [[ "$*" == *go-template* ]] && cat ${decoded}`,
          `  [[ "$*" == *jsonpath* ]] && cat ${data}`,
          'fi',
          'exit 0',
        ].join('\n'),
      );
      chmodSync(join(dir, 'kubectl'), 0o755);
      const result = spawnSync('bash', [repoPath('k8s', 'deploy.sh'), 'prod'], {
        env: { PATH: `${dir}:${process.env.PATH}`, STUB_DIR: dir },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return { ...result, calls: readFileSync(join(dir, 'calls.log'), 'utf8') };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const template = () => {
    const rendered = overlayContainers('prod'); // renders; the template's values come from the Secret itself
    expect(rendered.length).toBeGreaterThan(0);
    const secretYaml = readFileSync(repoPath('k8s', 'base', 'secret.template.yaml'), 'utf8');
    return Object.fromEntries([...secretYaml.matchAll(/^ {2}([A-Z_]+): (REPLACE_ME\S*)$/gm)].map((m) => [m[1], m[2]]));
  };

  it('stops before the migrations when the Secret holds the template values', () => {
    const values = template();
    expect(Object.keys(values).sort()).toEqual(Object.keys(REALISTIC_SECRETS).sort());
    const result = deploy(values);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('taskflow-secrets still holds REPLACE_ME placeholders: ');
    for (const key of Object.keys(values)) expect(result.stderr).toContain(key);
    expect(result.calls).not.toContain('app.kubernetes.io/component=migration');
  });

  it('stops before the migrations when the Secret lacks a key a workload references (e.g. a new Kafka password)', () => {
    const { KAFKA_BACKUP_PASSWORD: _dropped, ...older } = REALISTIC_SECRETS;
    const result = deploy(older);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('taskflow-secrets lacks keys the workloads reference: KAFKA_BACKUP_PASSWORD');
    expect(result.calls).not.toContain('app.kubernetes.io/component=migration');
  });

  it('deploys all three phases with real values, printing no secret value', () => {
    const result = deploy(REALISTIC_SECRETS);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.calls).toContain('-l app.kubernetes.io/component=migration');
    expect(result.calls).toContain('-l app.kubernetes.io/component=app');
    for (const value of Object.values(REALISTIC_SECRETS)) expect(result.stdout).not.toContain(value);
  });
});
