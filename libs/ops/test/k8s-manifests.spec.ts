import { ALL_TOPICS, deadLetterTopic } from '@taskflow/contracts';
import 'reflect-metadata';
import { DATABASE_ROLES } from '@taskflow/nest-kit';
import {
  allowedEgress,
  allowedIngress,
  K8sObject,
  kubectlVersion,
  modelClass,
  podLabelsOf,
  podSpecOf,
  renderOverlay,
  selectorMatches,
} from '../src/testing/k8s';
import { KAFKA_ADMIN_PASSWORD_VAR, KAFKA_ADMIN_PRINCIPAL, KAFKA_PRINCIPALS } from '../src/kafka/acls';
import { brokerProperties, brokerSecurityProblems, kafkaInitProblems } from '../src/testing/kafka-security';
import { isPinnedImage, readRepoFile } from '../src/testing/repo';

const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
const APPS = ['api-gateway', 'user-service', 'task-service', 'audit-service'];
/** The first port of each app's Service: the public HTTP port, or the RPC port (user- and task-service). */
const SERVICE_PORT: Record<string, number> = {
  'api-gateway': 3000,
  'user-service': 4001,
  'task-service': 4002,
  'audit-service': 3003,
};
/** MANAGEMENT_PORT defaults (libs/config managementPortSpec): health, status, metrics. */
const MANAGEMENT_PORT: Record<string, number> = {
  'api-gateway': 9000,
  'user-service': 9001,
  'task-service': 9002,
  'audit-service': 9003,
};
const MANAGED_CIDR = '10.200.0.0/16';

const kubectl = kubectlVersion();
if (!kubectl) {
  process.stderr.write(
    'SKIPPED k8s manifest tests: `kubectl` is not on PATH, so the overlays cannot be rendered here.\n',
  );
}
const describeIfKubectl = kubectl ? describe : describe.skip;

/** Expected egress of each workload besides DNS; in-cluster peers in dev, only the managed subnet elsewhere. */
function expectedEgress(env: string, name: string): string[] {
  const backends: Record<string, [string, number][]> = {
    'api-gateway': [['redis', 6379]],
    'user-service': [
      ['postgres', 5432],
      ['kafka', 9092],
      ['redis', 6379],
    ],
    'task-service': [
      ['postgres', 5432],
      ['kafka', 9092],
    ],
    'audit-service': [
      ['kafka', 9092],
      ['mongo', 27017],
      ['redis', 6379],
    ],
    'taskflow-migrate': [['postgres', 5432]],
    'taskflow-audit-migrate': [['mongo', 27017]],
    'taskflow-kafka-topics': [['kafka', 9092]],
    'taskflow-backup': [
      ['postgres', 5432],
      ['mongo', 27017],
      ['redis', 6379],
      ['kafka', 9092],
    ],
  };
  const apps: Record<string, string[]> = {
    'api-gateway': ['pod:user-service:4001', 'pod:task-service:4002', 'pod:audit-service:3003'],
  };
  const fromBackends = backends[name].map(([backend, port]) =>
    env === 'dev' ? `pod:${backend}:${port}` : `cidr:${MANAGED_CIDR}:${port}`,
  );
  const monitoring = name === 'taskflow-backup' ? ['ns:monitoring:9091'] : [];
  return [...(apps[name] ?? []), ...fromBackends, ...monitoring, 'dns:53'].sort();
}

describeIfKubectl.each(ENVIRONMENTS)('k8s overlay %s', (env) => {
  let objects: K8sObject[];
  const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const named = (kind: string, name: string) => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!found) throw new Error(`${kind}/${name} missing in ${env}`);
    return found;
  };
  const workloads = () => objects.filter((o) => podSpecOf(o) !== undefined);

  beforeAll(() => {
    objects = renderOverlay(env);
  });

  it('renders and every object validates against the Kubernetes schema (kubernetes-models)', () => {
    expect(objects.length).toBeGreaterThan(30);
    const failures: string[] = [];
    for (const obj of objects) {
      try {
        const Model = modelClass(obj.apiVersion, obj.kind);
        new Model(obj).validate();
      } catch (error) {
        failures.push(`${obj.kind}/${obj.metadata.name}: ${(error as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
    expect(new Set(objects.map((o) => o.metadata.namespace ?? o.metadata.name))).toEqual(new Set([`taskflow-${env}`]));
  });

  it('deploys the four apps with Services, pinned images and the environment namespace', () => {
    for (const app of APPS) {
      const deployment = named('Deployment', app);
      expect(deployment.spec.template.spec.containers[0].image).toMatch(new RegExp(`taskflow/${app}:0\\.1\\.0$`));
      expect(named('Service', app).spec.ports[0].port).toBe(SERVICE_PORT[app]);
    }
    for (const obj of workloads()) {
      const spec = podSpecOf(obj);
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect({
          where: `${obj.kind}/${obj.metadata.name}/${c.name}`,
          image: c.image,
          pinned: isPinnedImage(c.image),
        }).toEqual({ where: `${obj.kind}/${obj.metadata.name}/${c.name}`, image: c.image, pinned: true });
      }
    }
  });

  it('every container has requests+limits, runs as non-root without privilege escalation or capabilities', () => {
    for (const obj of workloads()) {
      const spec = podSpecOf(obj);
      expect(spec.automountServiceAccountToken).toBe(false);
      expect(spec.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        const where = `${obj.kind}/${obj.metadata.name}/${c.name}`;
        expect({ where, limits: Object.keys(c.resources?.limits ?? {}).sort() }).toEqual({
          where,
          limits: ['cpu', 'memory'],
        });
        expect({ where, requests: Object.keys(c.resources?.requests ?? {}).sort() }).toEqual({
          where,
          requests: ['cpu', 'memory'],
        });
        const nonRoot = c.securityContext?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
        const uid = c.securityContext?.runAsUser ?? spec.securityContext?.runAsUser;
        expect({ where, nonRoot, uidNotRoot: uid !== 0 }).toEqual({ where, nonRoot: true, uidNotRoot: true });
        expect({ where, ape: c.securityContext?.allowPrivilegeEscalation }).toEqual({ where, ape: false });
        expect({ where, drop: c.securityContext?.capabilities?.drop }).toEqual({ where, drop: ['ALL'] });
      }
    }
  });

  it('long-running containers have liveness and readiness probes; apps probe /health/live and /health/ready', () => {
    for (const obj of [...ofKind('Deployment'), ...ofKind('StatefulSet')]) {
      for (const c of obj.spec.template.spec.containers) {
        const where = `${obj.kind}/${obj.metadata.name}/${c.name}`;
        expect({ where, liveness: !!c.livenessProbe, readiness: !!c.readinessProbe }).toEqual({
          where,
          liveness: true,
          readiness: true,
        });
      }
    }
    for (const app of APPS) {
      const spec = named('Deployment', app).spec.template.spec;
      const c = spec.containers[0];
      expect(c.startupProbe.httpGet.path).toBe('/health/live');
      expect(c.livenessProbe.httpGet.path).toBe('/health/live');
      expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
      // On the management port, which the Prometheus annotations name too.
      const management = c.ports.find((p: { name: string }) => p.name === 'management');
      expect({ app, management: management?.containerPort }).toEqual({ app, management: MANAGEMENT_PORT[app] });
      for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe])
        expect(probe.httpGet.port).toBe('management');
      expect(named('Deployment', app).spec.template.metadata.annotations).toMatchObject({
        'prometheus.io/port': String(MANAGEMENT_PORT[app]),
        'prometheus.io/path': '/metrics',
      });
      expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    }
  });

  it('lets the apps drain on SIGTERM: no preStop sleep, readiness noticed within the drain delay, grace above drain + shutdown', () => {
    const config = named('ConfigMap', 'taskflow-config').data;
    const drainDelayMs = Number(config.DRAIN_DELAY_MS);
    const shutdownTimeoutMs = Number(config.SHUTDOWN_TIMEOUT_MS);
    expect(drainDelayMs).toBeGreaterThan(0);
    expect(Number(config.HTTP_KEEP_ALIVE_TIMEOUT_MS)).toBeGreaterThan(60_000); // above the ingress/ALB idle 60 s
    for (const app of APPS) {
      const spec = named('Deployment', app).spec.template.spec;
      const c = spec.containers[0];
      // The app waits DRAIN_DELAY_MS itself (also under docker compose); a preStop sleep would add to it.
      expect({ app, preStop: c.lifecycle?.preStop }).toEqual({ app, preStop: undefined });
      expect(c.readinessProbe.periodSeconds * c.readinessProbe.failureThreshold * 1000).toBeLessThanOrEqual(
        drainDelayMs,
      );
      expect(spec.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(
        drainDelayMs + shutdownTimeoutMs + 5_000,
      );
    }
  });

  it('jobs and cron jobs also run with a read-only root filesystem', () => {
    for (const obj of [...ofKind('Job'), ...ofKind('CronJob')]) {
      const spec = podSpecOf(obj);
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect({ where: `${obj.metadata.name}/${c.name}`, ro: c.securityContext.readOnlyRootFilesystem }).toEqual({
          where: `${obj.metadata.name}/${c.name}`,
          ro: true,
        });
      }
    }
  });

  it("maps each event producer's own key onto EVENT_SIGNING_KEY, and gives audit-service the verify keys", () => {
    const expected: Record<string, string | undefined> = {
      'user-service': 'USER_SERVICE_EVENT_SIGNING_KEY',
      'task-service': 'TASK_SERVICE_EVENT_SIGNING_KEY',
      'audit-service': 'AUDIT_SERVICE_EVENT_SIGNING_KEY',
      'api-gateway': undefined,
      'taskflow-backup-postgres': 'BACKUP_EVENT_SIGNING_KEY',
      'taskflow-backup-mongo': 'BACKUP_EVENT_SIGNING_KEY',
      'taskflow-backup-redis': 'BACKUP_EVENT_SIGNING_KEY',
    };
    const secretKeyOf = (obj: K8sObject, name: string) =>
      podSpecOf(obj).containers[0].env?.find((e: { name: string }) => e.name === name)?.valueFrom?.secretKeyRef?.key;
    const seen = Object.fromEntries(
      workloads()
        .filter((obj) => obj.metadata.name in expected)
        .map((obj) => [obj.metadata.name, secretKeyOf(obj, 'EVENT_SIGNING_KEY')]),
    );
    expect(seen).toEqual(expected);
    for (const obj of workloads().filter((o) => o.kind === 'Deployment')) {
      expect({ app: obj.metadata.name, verify: secretKeyOf(obj, 'EVENT_VERIFY_KEYS') }).toEqual({
        app: obj.metadata.name,
        verify: obj.metadata.name === 'audit-service' ? 'EVENT_VERIFY_KEYS' : undefined,
      });
    }
  });

  it('every Secret is a template: marked, placeholder values only', () => {
    const secrets = ofKind('Secret');
    expect(secrets.map((s) => s.metadata.name)).toEqual(['taskflow-secrets']);
    for (const secret of secrets) {
      expect(secret.metadata.labels['taskflow.io/secret-template']).toBe('true');
      expect(secret.data).toBeUndefined();
      for (const [key, value] of Object.entries(secret.stringData as Record<string, string>)) {
        expect({ key, placeholder: /^REPLACE_ME/.test(value) }).toEqual({ key, placeholder: true });
      }
    }
    // Every secret key a workload references exists in the template.
    const templateKeys = Object.keys(secrets[0].stringData);
    for (const obj of workloads()) {
      const spec = podSpecOf(obj);
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref)
            expect({ name: ref.name, has: templateKeys.includes(ref.key) }).toEqual({
              name: 'taskflow-secrets',
              has: true,
            });
        }
      }
    }
  });

  it('exposes only the gateway: one Ingress to api-gateway, ClusterIP services only', () => {
    const ingresses = ofKind('Ingress');
    expect(ingresses).toHaveLength(1);
    const backends = ingresses[0].spec.rules.flatMap(
      (r: { http: { paths: { backend: { service: { name: string } } }[] } }) =>
        r.http.paths.map((p) => p.backend.service.name),
    );
    expect(backends).toEqual(['api-gateway']);
    // The ingress reaches the gateway's public port only: no Service publishes a management port.
    const ingressPorts = ingresses[0].spec.rules.flatMap(
      (r: { http: { paths: { backend: { service: { port: { name?: string; number?: number } } } }[] } }) =>
        r.http.paths.map((p) => p.backend.service.port),
    );
    expect(ingressPorts).toEqual([{ name: 'http' }]);
    for (const app of APPS) {
      const ports = named('Service', app).spec.ports.map((p: { port: number }) => p.port);
      expect({ app, management: ports.includes(MANAGEMENT_PORT[app]) }).toEqual({ app, management: false });
    }
    for (const svc of ofKind('Service')) expect([undefined, 'ClusterIP']).toContain(svc.spec.type);
    for (const obj of workloads()) {
      for (const c of podSpecOf(obj).containers) {
        for (const p of c.ports ?? []) expect(p.hostPort).toBeUndefined();
      }
      expect(podSpecOf(obj).hostNetwork).toBeUndefined();
    }
  });

  it('network policies: default deny, only the gateway reachable from outside the namespace', () => {
    const policies = ofKind('NetworkPolicy');
    const deny = named('NetworkPolicy', 'default-deny-all');
    expect(deny.spec.podSelector).toEqual({});
    expect(deny.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    expect(deny.spec.ingress).toBeUndefined();
    expect(deny.spec.egress).toBeUndefined();

    for (const obj of workloads()) {
      const name = obj.metadata.name;
      const ingress = allowedIngress(podLabelsOf(obj), policies);
      expect({ name, open: ingress.includes('ANY') }).toEqual({ name, open: false });
      const external = ingress.filter((peer) => peer.startsWith('ns:ingress-nginx') || peer.startsWith('cidr:'));
      expect({ name, external }).toEqual({ name, external: name === 'api-gateway' ? ['ns:ingress-nginx:3000'] : [] });
    }
    expect(allowedIngress({ 'app.kubernetes.io/name': 'user-service' }, policies)).toEqual([
      'ns:monitoring:9001',
      'pod:api-gateway:4001',
    ]);
  });

  it('network policies: each app and job reaches only its own backends (plus DNS)', () => {
    const policies = ofKind('NetworkPolicy');
    const subjects = [
      ...APPS,
      'taskflow-migrate',
      'taskflow-audit-migrate',
      'taskflow-kafka-topics',
      'taskflow-backup',
    ];
    for (const name of subjects) {
      expect({ name, egress: allowedEgress({ 'app.kubernetes.io/name': name }, policies) }).toEqual({
        name,
        egress: expectedEgress(env, name),
      });
    }
  });

  it('network policies select only pods this overlay runs (no rule for a backend that is managed here)', () => {
    const pods = workloads().map((o) => ({ where: `${o.kind}/${o.metadata.name}`, labels: podLabelsOf(o) }));
    const matchesNothing = (selector: object) => !pods.some((pod) => selectorMatches(selector, pod.labels));
    const dangling: string[] = [];
    for (const np of ofKind('NetworkPolicy')) {
      const subject = np.spec.podSelector;
      if (Object.keys(subject).length > 0 && matchesNothing(subject))
        dangling.push(`${np.metadata.name}: spec.podSelector`);
      for (const [direction, rules] of [
        ['egress.to', np.spec.egress ?? []],
        ['ingress.from', np.spec.ingress ?? []],
      ] as const) {
        for (const rule of rules) {
          for (const peer of rule.to ?? rule.from ?? []) {
            // A peer with a namespaceSelector selects pods of other namespaces (DNS, monitoring): not rendered here.
            if (peer.podSelector && !peer.namespaceSelector && matchesNothing(peer.podSelector)) {
              dangling.push(`${np.metadata.name}: ${direction} ${JSON.stringify(peer.podSelector.matchLabels)}`);
            }
          }
        }
      }
    }
    expect(dangling).toEqual([]);
  });

  it('creates the database roles as the administrator, migrates as the owners, serves as the runtime roles', () => {
    const spec = named('Job', 'taskflow-migrate').spec.template.spec;
    type Container = { name: string; env?: { name: string; value?: string; valueFrom?: unknown }[] };
    const all: Container[] = [...spec.initContainers, ...spec.containers];
    const container = (name: string) => all.find((c) => c.name === name)!;
    const urlUser = (c: Container, name = 'DATABASE_URL') =>
      /^postgres:\/\/([^:]+):/.exec(c.env?.find((e) => e.name === name)?.value ?? '')?.[1];
    const secretsOf = (c: Container) => (c.env ?? []).filter((e) => e.valueFrom).map((e) => e.name);
    expect(urlUser(container('db-roles'), 'DATABASE_ADMIN_URL')).toBe('$(POSTGRES_USER)');
    expect(urlUser(container('migrate-users'))).toBe(DATABASE_ROLES.user.owner);
    expect(urlUser(container('migrate-tasks'))).toBe(DATABASE_ROLES.task.owner);
    // Only the roles step holds the administrator's password.
    for (const c of all.filter((c) => c.name !== 'db-roles')) expect(secretsOf(c)).not.toContain('POSTGRES_PASSWORD');
    const deployment = (app: string) => named('Deployment', app).spec.template.spec.containers[0] as Container;
    expect(urlUser(deployment('user-service'))).toBe(DATABASE_ROLES.user.runtime);
    expect(urlUser(deployment('task-service'))).toBe(DATABASE_ROLES.task.runtime);
    for (const app of ['user-service', 'task-service', 'api-gateway', 'audit-service']) {
      expect({ app, secrets: secretsOf(deployment(app)) }).not.toEqual(
        expect.objectContaining({ secrets: expect.arrayContaining(['POSTGRES_PASSWORD']) }),
      );
    }
  });

  it('runs migrations in a Job before rollout: user-service first, then task-service; topics explicitly', () => {
    const job = named('Job', 'taskflow-migrate');
    const spec = job.spec.template.spec;
    expect(spec.initContainers.map((c: { command: string[] }) => c.command.join(' '))).toEqual([
      'node dist/apps/user-service/src/migrate.js roles',
      'node dist/apps/user-service/src/migrate.js',
    ]);
    expect(spec.containers.map((c: { command: string[] }) => c.command.join(' '))).toEqual([
      'node dist/apps/task-service/src/migrate.js',
    ]);
    expect(job.metadata.labels['app.kubernetes.io/component']).toBe('migration');
    expect(named('Job', 'taskflow-audit-migrate').spec.template.spec.containers[0].command).toEqual([
      'node',
      'dist/apps/audit-service/src/migrate.js',
    ]);
    expect(readRepoFile('k8s/deploy.sh')).toMatch(
      /wait --for=condition=complete job\/taskflow-migrate job\/taskflow-audit-migrate/,
    );
    // The RPC services bind on all pod interfaces; clients dial the Service name from the ConfigMap.
    const envOf = (app: string) =>
      Object.fromEntries(
        named('Deployment', app).spec.template.spec.containers[0].env.map((e: { name: string; value?: string }) => [
          e.name,
          e.value,
        ]),
      );
    expect(envOf('user-service').USER_SERVICE_HOST).toBe('0.0.0.0');
    expect(envOf('task-service').TASK_SERVICE_HOST).toBe('0.0.0.0');
    expect(named('ConfigMap', 'taskflow-config').data.USER_SERVICE_HOST).toBe('user-service');
    for (const app of APPS) {
      expect(named('Deployment', app).metadata.labels['app.kubernetes.io/component']).toBe('app');
    }
    expect(named('ConfigMap', 'taskflow-config').data.MIGRATIONS_RUN).toBe('false');
    const topics = named('Job', 'taskflow-kafka-topics').spec.template.spec.containers[0].command.join(' ');
    for (const topic of ALL_TOPICS) expect(topics).toContain(topic);
    expect(topics).toContain('"$base.dlq"');
    expect(deadLetterTopic('x')).toBe('x.dlq');
  });

  it('Kafka: every client authenticates as its own SCRAM principal; the topics Job creates the users and the ACLs', () => {
    const envOf = (container: {
      env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { key: string } } }[];
    }) => Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.secretKeyRef?.key]));
    const clients: [string, keyof typeof KAFKA_PRINCIPALS][] = [
      ['Deployment/user-service', 'userService'],
      ['Deployment/task-service', 'taskService'],
      ['Deployment/audit-service', 'auditService'],
      ['CronJob/taskflow-backup-postgres', 'backup'],
      ['CronJob/taskflow-backup-mongo', 'backup'],
      ['CronJob/taskflow-backup-redis', 'backup'],
    ];
    for (const [where, key] of clients) {
      const [kind, name] = where.split('/');
      const clientEnv = envOf(podSpecOf(named(kind, name)).containers[0]);
      const { name: user, passwordVar } = KAFKA_PRINCIPALS[key];
      expect({
        where,
        sasl: [clientEnv.KAFKA_SASL_MECHANISM, clientEnv.KAFKA_SASL_USERNAME, clientEnv.KAFKA_SASL_PASSWORD],
      }).toEqual({
        where,
        sasl: ['scram-sha-512', user, passwordVar],
      });
    }
    const job = named('Job', 'taskflow-kafka-topics').spec.template.spec.containers[0];
    const jobEnv = envOf(job);
    expect(kafkaInitProblems(jobEnv)).toEqual([]);
    expect(jobEnv.KAFKA_ADMIN_USERNAME).toBe(KAFKA_ADMIN_PRINCIPAL);
    for (const { passwordVar } of Object.values(KAFKA_PRINCIPALS)) expect(jobEnv[passwordVar]).toBe(passwordVar);
    expect(jobEnv.KAFKA_ADMIN_PASSWORD).toBe(KAFKA_ADMIN_PASSWORD_VAR);
    const template = named('Secret', 'taskflow-secrets').stringData;
    for (const key of [KAFKA_ADMIN_PASSWORD_VAR, ...Object.values(KAFKA_PRINCIPALS).map((p) => p.passwordVar)]) {
      expect(template[key]).toMatch(/^REPLACE_ME/);
    }
    if (ofKind('StatefulSet').length > 0) {
      const broker = named('StatefulSet', 'taskflow-kafka').spec.template.spec.containers[0];
      expect(broker.command.slice(0, 2)).toEqual(['bash', '-c']);
      expect(brokerSecurityProblems(broker.command[2])).toEqual([]);
      expect(brokerProperties(broker.command[2])['advertised.listeners']).toBe('SASL_PLAINTEXT://taskflow-kafka:9092');
      expect(envOf(broker).KAFKA_ADMIN_PASSWORD).toBe(KAFKA_ADMIN_PASSWORD_VAR);
      expect(broker.readinessProbe.exec.command.join(' ')).toContain('--command-config /tmp/admin-client.properties');
    }
  });

  it('k8s/deploy.sh phases partition the objects: platform, secret template, migrations, apps', () => {
    const script = readRepoFile('k8s/deploy.sh');
    // The selectors deploy.sh uses, evaluated here the way kubectl evaluates them.
    expect(script).toContain(
      "-l 'app.kubernetes.io/component notin (app,migration),taskflow.io/secret-template!=true'",
    );
    expect(script).toContain("-l 'taskflow.io/secret-template=true'");
    expect(script).toContain("-l 'app.kubernetes.io/component=migration'");
    // Apps: the event consumer before the producers, so no event version is emitted before its reader runs.
    const consumerFirst = "-l 'app.kubernetes.io/component=app,app.kubernetes.io/name=audit-service'";
    const thenTheRest = "-l 'app.kubernetes.io/component=app,app.kubernetes.io/name!=audit-service'";
    expect(script.indexOf(consumerFirst)).toBeGreaterThan(0);
    expect(script.indexOf(thenTheRest)).toBeGreaterThan(script.indexOf('rollout status deployment/audit-service'));
    expect(script.indexOf('rollout status deployment/audit-service')).toBeGreaterThan(script.indexOf(consumerFirst));
    const name = (o: K8sObject) => o.metadata.labels?.['app.kubernetes.io/name'];
    const apps = objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'app');
    expect(
      apps
        .filter((o) => name(o) === 'audit-service')
        .map((o) => o.kind)
        .sort(),
    ).toEqual(['Deployment', 'Service']);
    expect(apps.every((o) => typeof name(o) === 'string')).toBe(true);
    const component = (o: K8sObject) => o.metadata.labels?.['app.kubernetes.io/component'];
    const template = (o: K8sObject) => o.metadata.labels?.['taskflow.io/secret-template'] === 'true';
    const phases = objects.map((o) => {
      if (template(o)) return 'secret';
      if (component(o) === 'migration') return 'migration';
      if (component(o) === 'app') return 'app';
      return 'platform';
    });
    const inPhase = (phase: string) =>
      objects.filter((_, i) => phases[i] === phase).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(inPhase('migration').sort()).toEqual([
      'Job/taskflow-audit-migrate',
      'Job/taskflow-kafka-topics',
      'Job/taskflow-migrate',
    ]);
    expect(inPhase('app').sort()).toEqual(APPS.flatMap((a) => [`Deployment/${a}`, `Service/${a}`]).sort());
    expect(inPhase('secret')).toEqual(['Secret/taskflow-secrets']);
    expect(inPhase('platform')).toContain('ConfigMap/taskflow-config');
    expect(inPhase('platform')).toContain('NetworkPolicy/default-deny-all');
  });

  it('schedules backup CronJobs for PostgreSQL, MongoDB and Redis, plus retention pruning', () => {
    const crons = ofKind('CronJob');
    const byTarget = Object.fromEntries(crons.map((c) => [c.metadata.labels['taskflow.io/backup-target'], c]));
    expect(Object.keys(byTarget).sort()).toEqual(['mongo', 'postgres', 'prune', 'redis']);
    const commandOf = (target: string) => byTarget[target].spec.jobTemplate.spec.template.spec.containers[0].command;
    expect(commandOf('postgres')).toEqual(['bash', 'scripts/backup/backup-postgres.sh']);
    expect(commandOf('mongo')).toEqual(['bash', 'scripts/backup/backup-mongo.sh']);
    expect(commandOf('redis')).toEqual(['bash', 'scripts/backup/backup-redis.sh']);
    expect(commandOf('prune')).toEqual(['bash', 'scripts/backup/prune-backups.sh']);
    // RPO < 1 h for the event store needs at least hourly MongoDB dumps.
    expect(byTarget.mongo.spec.schedule).toMatch(/^\d+ \* \* \* \*$/);
    for (const cron of crons) expect(cron.spec.concurrencyPolicy).toBe('Forbid');
  });

  it('scales the request path with HPAs and protects every app with a PodDisruptionBudget', () => {
    const hpaTargets = ofKind('HorizontalPodAutoscaler')
      .map((h) => h.spec.scaleTargetRef.name)
      .sort();
    expect(hpaTargets).toEqual(['api-gateway', 'task-service', 'user-service']);
    expect(
      ofKind('PodDisruptionBudget')
        .map((p) => p.spec.selector.matchLabels['app.kubernetes.io/name'])
        .sort(),
    ).toEqual([...APPS].sort());
  });

  it(env === 'dev' ? 'runs the backends in-cluster as StatefulSets with volumes' : 'uses managed backends only', () => {
    const statefulSets = ofKind('StatefulSet');
    const config = named('ConfigMap', 'taskflow-config').data;
    if (env === 'dev') {
      expect(statefulSets.map((s) => s.metadata.name).sort()).toEqual(
        ['taskflow-kafka', 'taskflow-mongo', 'taskflow-postgres', 'taskflow-redis'].sort(),
      );
      for (const sts of statefulSets) expect(sts.spec.volumeClaimTemplates.length).toBeGreaterThan(0);
      const kafka = brokerProperties(
        statefulSets.find((s) => s.metadata.name === 'taskflow-kafka')!.spec.template.spec.containers[0].command[2],
      );
      expect(kafka['process.roles']).toBe('broker,controller');
      expect(kafka['auto.create.topics.enable']).toBe('false');
      expect(config.POSTGRES_HOST).toBe('taskflow-postgres');
      named('Service', 'taskflow-postgres');
    } else {
      expect(statefulSets).toEqual([]);
      expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata.name)).toEqual([
        'taskflow-backups',
      ]);
      expect(config.POSTGRES_HOST).toMatch(/\.managed\./);
      expect(config.POSTGRES_SSLMODE).toBe('require');
      expect(config.REDIS_SCHEME).toBe('rediss');
      expect(config.MONGO_OPTIONS).toContain('tls=true');
      expect(config.KAFKA_TOPIC_REPLICATION_FACTOR).toBe('3');
    }
  });

  it('selects the configuration profile of the environment (APP_ENV), with TLS to managed backends', () => {
    const config = named('ConfigMap', 'taskflow-config').data;
    expect(config.APP_ENV).toBe({ dev: 'development', staging: 'staging', prod: 'production' }[env]);
    if (env !== 'dev') {
      for (const key of ['DATABASE_SSL', 'REDIS_TLS', 'MONGO_TLS', 'KAFKA_SSL']) expect(config[key]).toBe('true');
    }
  });

  it('no Deployment an HPA scales sets replicas (an apply would reset the scaled-out count)', () => {
    const scaled = ofKind('HorizontalPodAutoscaler').map((h) => h.spec.scaleTargetRef);
    expect(scaled.length).toBeGreaterThan(0);
    for (const target of scaled) {
      const deployment = named(target.kind, target.name);
      expect({ name: target.name, replicas: deployment.spec.replicas }).toEqual({
        name: target.name,
        replicas: undefined,
      });
    }
    // audit-service scales with Kafka partitions, not CPU: a fixed count, no HPA.
    expect(named('Deployment', 'audit-service').spec.replicas).toBe(env === 'dev' ? 1 : env === 'prod' ? 3 : 2);
  });

  if (env === 'prod') {
    it('runs more replicas and larger limits than the base', () => {
      for (const app of APPS) {
        expect(named('Deployment', app).spec.template.spec.containers[0].resources.limits.memory).toBe('1Gi');
      }
      for (const hpa of ofKind('HorizontalPodAutoscaler')) expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(3);
      expect(named('Deployment', 'audit-service').spec.replicas).toBe(3);
      expect(named('HorizontalPodAutoscaler', 'api-gateway').spec.maxReplicas).toBe(20);
    });
  }
});
