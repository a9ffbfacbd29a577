import 'reflect-metadata';
import { loadConfig, rpcTlsSpec } from '@taskflow/config';
import { ALL_TOPICS, deadLetterTopic } from '@taskflow/contracts';
import { spawnSync } from 'node:child_process';
import { KAFKA_ACLS, KAFKA_ADMIN_PRINCIPAL, KAFKA_PRINCIPALS } from '../src/kafka/acls';
import {
  brokerProperties,
  brokerSecurityProblems,
  kafkaAclsAddArguments,
  kafkaInitProblems,
  runWithKafkaToolStandIns,
} from '../src/testing/kafka-security';
import { composeContainers, interpolateCompose, REALISTIC_SECRETS } from '../src/testing/workload-env';
import { isPinnedImage, readRepoFile, readYaml, repoPath } from '../src/testing/repo';

interface Healthcheck {
  test?: string[] | string;
  disable?: boolean;
  interval?: string;
}
interface DependsOn {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string; target?: string; args?: Record<string, string> };
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: Healthcheck;
  depends_on?: Record<string, DependsOn>;
  restart?: string;
  profiles?: string[];
  read_only?: boolean;
  cap_drop?: string[];
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const compose = readYaml<Compose>('docker-compose.yml');
const debugOverride = readYaml<{ services: Record<string, Service> }>('docker-compose.debug.yml');
const services = compose.services;
const APPS: Record<string, number> = {
  'api-gateway': 3000,
  'user-service': 3001,
  'task-service': 3002,
  'audit-service': 3003,
};
const BACKENDS = ['postgres', 'redis', 'kafka', 'mongo'];
const ONE_SHOTS = ['kafka-init', 'db-roles', 'migrate-users', 'migrate-tasks', 'migrate-audit'];

const isOneShot = (s: Service) => s.restart === 'no';
const commandOf = (s: Service) => [s.entrypoint, s.command].flat().filter(Boolean).join(' ');
/** The `bash -c` script of an entrypoint as the container's shell receives it (compose turns `$$` into `$`). */
const entrypointScript = (s: Service) => {
  const [shell, flag, script] = [s.entrypoint ?? []].flat();
  expect([shell, flag]).toEqual(['bash', '-c']);
  return script.replaceAll('$$', '$');
};

describe('docker-compose.yml', () => {
  it('declares the backends, the one-shot init/migration steps, the four apps and the on-demand backup', () => {
    expect(Object.keys(services).sort()).toEqual([...BACKENDS, ...ONE_SHOTS, ...Object.keys(APPS), 'backup'].sort());
  });

  it('uses the agreed backend images with pinned tags (never latest)', () => {
    expect(services.postgres.image).toMatch(/^postgres:16(\.|-|$)/);
    expect(services.redis.image).toMatch(/^redis:7(\.|-|$)/);
    expect(services.kafka.image).toMatch(/^apache\/kafka:3\.9\.\d+$/);
    expect(services['kafka-init'].image).toBe(services.kafka.image);
    expect(services.mongo.image).toMatch(/^mongo:7(\.|-|$)/);
    for (const [name, service] of Object.entries(services)) {
      expect({ name, image: service.image, pinned: service.image ? isPinnedImage(service.image) : false }).toEqual({
        name,
        image: service.image,
        pinned: true,
      });
    }
  });

  it('builds every app (and the migrations) from the one Dockerfile with its APP build arg', () => {
    for (const app of Object.keys(APPS)) {
      expect(services[app].build).toMatchObject({ context: '.', dockerfile: 'Dockerfile', args: { APP: app } });
      expect(services[app].image).toBe(`taskflow/${app}:0.1.0`);
    }
    expect(services['migrate-users'].build?.args?.APP).toBe('user-service');
    expect(services['migrate-tasks'].build?.args?.APP).toBe('task-service');
    expect(services.backup.build).toMatchObject({ dockerfile: 'Dockerfile', target: 'backup' });
    expect(services.backup.profiles).toEqual(['ops']);
  });

  it('gives every long-running service a health check, and long-running apps use /health/live', () => {
    for (const [name, service] of Object.entries(services)) {
      if (isOneShot(service)) continue;
      expect({ name, test: service.healthcheck?.test }).toEqual({ name, test: expect.anything() });
      expect(service.healthcheck?.disable).not.toBe(true);
    }
    for (const app of Object.keys(APPS)) {
      expect(services[app].healthcheck?.test).toEqual(['CMD', 'node', 'ops/docker/healthcheck.js']);
    }
    expect(readRepoFile('ops/docker/healthcheck.js')).toContain('/health/live');
    expect(JSON.stringify(services.postgres.healthcheck?.test)).toContain('pg_isready');
    expect(JSON.stringify(services.redis.healthcheck?.test)).toContain('ping');
    expect(JSON.stringify(services.kafka.healthcheck?.test)).toContain('kafka-broker-api-versions.sh');
    expect(JSON.stringify(services.mongo.healthcheck?.test)).toContain('rs.initiate');
  });

  it('publishes only the gateway port to the host; debug ports bind 127.0.0.1 only', () => {
    const published = Object.entries(services).filter(([, s]) => (s.ports ?? []).length > 0);
    expect(published.map(([name]) => name)).toEqual(['api-gateway']);
    expect(services['api-gateway'].ports).toEqual(['${GATEWAY_PORT:-3000}:3000']);
    for (const [name, service] of Object.entries(debugOverride.services)) {
      for (const port of service.ports ?? []) {
        expect({ name, port, loopback: port.startsWith('127.0.0.1:') }).toEqual({ name, port, loopback: true });
      }
    }
  });

  it('keeps state in named volumes declared at the top level', () => {
    const expected: Record<string, string> = {
      postgres: '/var/lib/postgresql/data',
      redis: '/data',
      kafka: '/var/lib/kafka/data',
      mongo: '/data/db',
    };
    for (const [name, target] of Object.entries(expected)) {
      const mounts = services[name].volumes ?? [];
      expect(mounts.some((m) => m.endsWith(`:${target}`))).toBe(true);
    }
    for (const service of Object.values(services)) {
      for (const mount of service.volumes ?? []) {
        const source = mount.split(':')[0];
        expect(source.startsWith('.') || source.startsWith('/')).toBe(false); // no bind mounts
        expect(Object.keys(compose.volumes)).toContain(source);
      }
    }
    expect(services.postgres.volumes).toContain('postgres-wal-archive:/wal-archive');
  });

  it('runs Kafka as a single-node KRaft broker+controller, SASL/SCRAM only, ACLs enforced, auto-create off', () => {
    const script = entrypointScript(services.kafka);
    expect(brokerSecurityProblems(script)).toEqual([]);
    expect(brokerProperties(script)['advertised.listeners']).toBe('SASL_PLAINTEXT://kafka:9092');
    expect(String(services.kafka.environment?.CLUSTER_ID)).toMatch(/^[A-Za-z0-9_-]{22}$/); // base64url of a 16-byte UUID
    expect(String(services.kafka.environment?.KAFKA_ADMIN_PASSWORD)).toMatch(/^\$\{KAFKA_ADMIN_PASSWORD:\?.+\}$/);
    expect(script).not.toMatch(/zookeeper/i);
    // The health check authenticates too (an unauthenticated probe fails against this broker).
    expect(String(services.kafka.healthcheck?.test)).toContain('--command-config /tmp/admin-client.properties');
  });

  it('creates every contract topic and its dead-letter topic, the SCRAM users and the ACLs before the apps start', () => {
    const init = services['kafka-init'];
    const topics = String(init.environment?.TOPICS).split(/\s+/).filter(Boolean).sort();
    expect(topics).toEqual([...ALL_TOPICS, ...ALL_TOPICS.map(deadLetterTopic)].sort());
    const script = entrypointScript(init);
    expect(script).toContain('kafka-topics.sh "${kafka[@]}" --create --if-not-exists');
    expect(kafkaInitProblems(init.environment ?? {})).toEqual([]);
    // Run against stand-ins: one SCRAM user per principal with its password, one `--add` per ACL line, as the admin.
    const env = Object.fromEntries(
      Object.entries(init.environment ?? {}).map(([key, value]) => [
        key,
        interpolateCompose(String(value), REALISTIC_SECRETS),
      ]),
    );
    const { status, stderr, calls } = runWithKafkaToolStandIns(script, env);
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
    const connection = '--bootstrap-server kafka:9092 --command-config $TMPDIR/admin-client.properties';
    const jaas = `username="${KAFKA_ADMIN_PRINCIPAL}" password="${REALISTIC_SECRETS.KAFKA_ADMIN_PASSWORD}";`;
    for (const call of calls) {
      expect(call).toContain(connection);
      expect(call).toContain(`| CONFIG security.protocol=SASL_PLAINTEXT;sasl.mechanism=SCRAM-SHA-512;`);
      expect(call).toContain(jaas);
    }
    const of = (tool: string) =>
      calls.filter((call) => call.startsWith(`${tool} `)).map((call) => call.split(' | ')[0]);
    expect(of('kafka-topics.sh')).toHaveLength(topics.length);
    expect(of('kafka-configs.sh')).toEqual(
      Object.values(KAFKA_PRINCIPALS).map(
        (p) =>
          `kafka-configs.sh ${connection} --alter --entity-type users --entity-name ${p.name} --add-config SCRAM-SHA-512=[password=${REALISTIC_SECRETS[p.passwordVar]}]`,
      ),
    );
    expect(of('kafka-acls.sh')).toEqual([
      ...KAFKA_ACLS.map((acl) => `kafka-acls.sh ${connection} --add ${kafkaAclsAddArguments(acl)}`),
      `kafka-acls.sh ${connection} --list`,
    ]);
    expect(init.depends_on?.kafka.condition).toBe('service_healthy');
    for (const app of ['user-service', 'task-service', 'audit-service']) {
      expect(services[app].depends_on?.['kafka-init']?.condition).toBe('service_completed_successfully');
    }
  });

  it('every Kafka client authenticates as its own principal, with a required password (no default)', () => {
    const init = services['kafka-init'].environment ?? {};
    const clients = {
      'user-service': 'userService',
      'task-service': 'taskService',
      'audit-service': 'auditService',
      backup: 'backup',
    } as const;
    for (const [service, key] of Object.entries(clients)) {
      const env = services[service].environment ?? {};
      const { name, passwordVar } = KAFKA_PRINCIPALS[key];
      expect({ service, mechanism: env.KAFKA_SASL_MECHANISM, user: env.KAFKA_SASL_USERNAME }).toEqual({
        service,
        mechanism: 'scram-sha-512',
        user: name,
      });
      expect(String(env.KAFKA_SASL_PASSWORD)).toMatch(new RegExp(`^\\$\\{${passwordVar}:\\?.+\\}$`));
      expect(init[passwordVar]).toBe(env.KAFKA_SASL_PASSWORD);
    }
  });

  it('runs MongoDB as a single-node replica set and points MONGO_URL at it', () => {
    expect(services.mongo.command).toEqual(['mongod', '--replSet', 'rs0', '--bind_ip_all']);
    expect(String(services['audit-service'].environment?.MONGO_URL)).toContain('replicaSet=rs0');
  });

  it('configures Redis persistence (RDB snapshots + AOF everysec) and PostgreSQL WAL archiving', () => {
    const redis = commandOf(services.redis);
    expect(redis).toContain('--appendonly yes');
    expect(redis).toContain('--appendfsync everysec');
    expect(redis).toContain('--save 900 1 300 10 60 10000');
    const pg = commandOf(services.postgres);
    expect(pg).toContain('wal_level=replica');
    expect(pg).toContain('archive_mode=on');
    expect(pg).toContain('archive_command=test ! -f /wal-archive/%f && cp %p /wal-archive/%f');
  });

  it('migrates users first, then tasks, and starts the services only after both succeeded', () => {
    expect(commandOf(services['migrate-users'])).toBe('node dist/apps/user-service/src/migrate.js');
    expect(commandOf(services['migrate-tasks'])).toBe('node dist/apps/task-service/src/migrate.js');
    expect(services['migrate-users'].depends_on?.postgres.condition).toBe('service_healthy');
    expect(services['migrate-tasks'].depends_on?.['migrate-users'].condition).toBe('service_completed_successfully');
    for (const app of ['user-service', 'task-service']) {
      expect(services[app].depends_on?.['migrate-tasks'].condition).toBe('service_completed_successfully');
      expect(services[app].environment?.MIGRATIONS_RUN).toBe('false');
    }
  });

  it('creates the database roles first, migrates as each owner role and serves as each runtime role', () => {
    const roles = services['db-roles'];
    expect(commandOf(roles)).toBe('node dist/apps/user-service/src/migrate.js roles');
    expect(roles.depends_on?.postgres.condition).toBe('service_healthy');
    expect(services['migrate-users'].depends_on?.['db-roles'].condition).toBe('service_completed_successfully');
    const passwords = [
      'USER_SERVICE_DB_OWNER_PASSWORD',
      'USER_SERVICE_DB_PASSWORD',
      'TASK_SERVICE_DB_OWNER_PASSWORD',
      'TASK_SERVICE_DB_PASSWORD',
    ];
    for (const name of passwords) expect(String(roles.environment?.[name])).toMatch(new RegExp(`^\\$\\{${name}:\\?`));
    expect(String(roles.environment?.DATABASE_ADMIN_URL)).toMatch(/^postgres:\/\/taskflow:/);
    const userOf = (service: string) => new URL(String(services[service].environment?.DATABASE_URL)).username;
    expect(userOf('migrate-users')).toBe('taskflow_user_owner');
    expect(userOf('migrate-tasks')).toBe('taskflow_task_owner');
    expect(userOf('user-service')).toBe('taskflow_user_app');
    expect(userOf('task-service')).toBe('taskflow_task_app');
    // Only the roles step holds the administrator's password; the apps without a database get no URL.
    for (const [name, service] of Object.entries(services)) {
      if (name === 'db-roles' || name === 'postgres' || name === 'backup') continue;
      expect({ name, admin: JSON.stringify(service.environment ?? {}).includes('POSTGRES_PASSWORD') }).toEqual({
        name,
        admin: false,
      });
    }
    for (const app of ['api-gateway', 'audit-service']) expect(services[app].environment?.DATABASE_URL).toBeUndefined();
  });

  it('migrates the audit store (MongoDB) before audit-service starts', () => {
    expect(commandOf(services['migrate-audit'])).toBe('node dist/apps/audit-service/src/migrate.js');
    expect(services['migrate-audit'].depends_on?.mongo.condition).toBe('service_healthy');
    expect(services['audit-service'].depends_on?.['migrate-audit'].condition).toBe('service_completed_successfully');
  });

  it('binds the RPC listeners on all container interfaces (their *_HOST is also what clients dial)', () => {
    expect(services['user-service'].environment?.USER_SERVICE_HOST).toBe('0.0.0.0');
    expect(services['task-service'].environment?.TASK_SERVICE_HOST).toBe('0.0.0.0');
    expect(services['api-gateway'].environment?.USER_SERVICE_HOST).toBe('user-service');
    expect(services['api-gateway'].environment?.TASK_SERVICE_HOST).toBe('task-service');
  });

  it('waits on healthy dependencies (never a bare service_started)', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(services[dep]).toBeDefined();
        const expected = isOneShot(services[dep]) ? 'service_completed_successfully' : 'service_healthy';
        expect({ name, dep, condition }).toEqual({ name, dep, condition: expected });
      }
    }
    expect(Object.keys(services['api-gateway'].depends_on ?? {}).sort()).toEqual(
      ['audit-service', 'redis', 'task-service', 'user-service'].sort(),
    );
  });

  it('gives every app the full configuration contract, hardened (read-only FS, no capabilities)', () => {
    const required = [
      'REDIS_URL',
      'KAFKA_BROKERS',
      'MONGO_URL',
      'JWT_PRIVATE_KEY',
      'JWT_PUBLIC_KEYS',
      'USER_SERVICE_HOST',
      'USER_SERVICE_PORT',
      'TASK_SERVICE_HOST',
      'TASK_SERVICE_PORT',
      'AUDIT_SERVICE_URL',
      'MIGRATIONS_RUN',
      'LOG_LEVEL',
      'NODE_ENV',
    ];
    for (const app of Object.keys(APPS)) {
      const service = services[app];
      expect(Object.keys(service.environment ?? {})).toEqual(expect.arrayContaining(required));
      expect(service.read_only).toBe(true);
      expect(service.cap_drop).toEqual(['ALL']);
    }
    expect(services['api-gateway'].environment?.USER_SERVICE_PORT).toBe('4001');
    expect(services['api-gateway'].environment?.TASK_SERVICE_PORT).toBe('4002');
  });

  it('gives each event producer its own required signing key from .env, and audit-service the verify keys', () => {
    const producers: Record<string, string> = {
      'user-service': 'USER_SERVICE',
      'task-service': 'TASK_SERVICE',
      'audit-service': 'AUDIT_SERVICE',
      backup: 'BACKUP',
    };
    for (const [name, prefix] of Object.entries(producers)) {
      const environment = services[name].environment ?? {};
      expect({ name, key: environment.EVENT_SIGNING_KEY, id: environment.EVENT_SIGNING_KEY_ID }).toEqual({
        name,
        key: expect.stringMatching(new RegExp(`^\\$\\{${prefix}_EVENT_SIGNING_KEY:\\?.*compose-env`)),
        id: expect.stringMatching(new RegExp(`^\\$\\{${prefix}_EVENT_SIGNING_KEY_ID:\\?`)),
      });
    }
    expect(services['audit-service'].environment?.EVENT_VERIFY_KEYS).toMatch(/^\$\{EVENT_VERIFY_KEYS:\?/);
    // The gateway publishes no events: it holds no event key.
    expect(services['api-gateway'].environment?.EVENT_SIGNING_KEY).toBeUndefined();
  });

  it('gives every app a stop grace period above its drain delay + shutdown timeout (docker stop would SIGKILL)', () => {
    for (const app of Object.keys(APPS)) {
      const { environment = {}, stop_grace_period: grace = '10s' } = services[app];
      const graceMs = Number(/^(\d+)s$/.exec(grace)?.[1] ?? NaN) * 1000;
      const neededMs = Number(environment.DRAIN_DELAY_MS) + Number(environment.SHUTDOWN_TIMEOUT_MS) + 5_000;
      expect({ app, graceMs, enough: graceMs >= neededMs }).toEqual({ app, graceMs, enough: true });
    }
  });
});

describe('RPC certificates in compose', () => {
  it('`node tools/run.js rpc-certs >> .env` gives the gateway and both services a mutual TLS configuration, no one else', () => {
    const run = spawnSync(process.execPath, [repoPath('tools/run.js'), 'rpc-certs'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    // compose reads a single-quoted .env value literally: the PEM stays `\n`-escaped, which libs/config accepts.
    const dotEnv = Object.fromEntries(
      run.stdout
        .trim()
        .split('\n')
        .map((line) => /^([A-Z_]+)='(.*)'$/.exec(line)!)
        .map(([, name, value]) => [name, value]),
    );
    expect(Object.keys(dotEnv).sort()).toEqual(
      ['RPC_TLS_CA', 'GATEWAY', 'USER_SERVICE', 'TASK_SERVICE']
        .flatMap((p) => (p === 'RPC_TLS_CA' ? [p] : [`${p}_RPC_TLS_CERT`, `${p}_RPC_TLS_KEY`]))
        .sort(),
    );
    // Three private keys, the leaves' (the CA's key is not printed).
    expect(run.stdout.match(/-----BEGIN PRIVATE KEY-----/g)).toHaveLength(3);
    const required = Object.fromEntries(Object.entries(REALISTIC_SECRETS).filter(([name]) => !/RPC_TLS/.test(name)));
    const containers = composeContainers({ ...required, ...dotEnv });
    const tlsOf = (where: string) => {
      const container = containers.find((c) => c.where === `compose ${where}`)!;
      return loadConfig({ tls: rpcTlsSpec() }, { APP_ENV: 'staging', ...container.env }).tls.enabled;
    };
    expect(['api-gateway', 'user-service', 'task-service'].map(tlsOf)).toEqual([true, true, true]);
    const others = containers.filter((c) => !/compose (api-gateway|user-service|task-service)$/.test(c.where));
    expect(others.filter((c) => Object.keys(c.env).some((name) => name.startsWith('RPC_TLS')))).toEqual([]);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readRepoFile('Dockerfile');
  const lines = dockerfile.split('\n');
  const stages = lines.filter((l) => /^FROM\s/i.test(l));
  const runtimeStart = lines.findIndex((l) => /^FROM .* AS runtime$/i.test(l));
  const runtime = lines.slice(runtimeStart).join('\n');

  it('is multi-stage and ends with the runtime stage (the default target)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(stages[stages.length - 1]).toMatch(/AS runtime$/);
    expect(dockerfile).toMatch(/^FROM node:\$\{NODE_VERSION\}-trixie AS build$/m);
  });

  it('builds on the Node version pinned in .node-version, the one local runs and CI use', () => {
    const pinned = readRepoFile('.node-version').trim();
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(dockerfile).toMatch(new RegExp(`^ARG NODE_VERSION=${pinned.replace(/\./g, '\\.')}$`, 'm'));
    const major = pinned.split('.')[0];
    const manifest = JSON.parse(readRepoFile('package.json'));
    expect(manifest.engines.node).toBe(`>=${major}`);
    expect(manifest.devDependencies['@types/node']).toMatch(new RegExp(`^\\^${major}\\.`));
  });

  it('compiles with swc in the build stage and installs production dependencies only for runtime', () => {
    expect(dockerfile).toContain('RUN npx swc apps libs -d dist');
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(runtime).toContain('COPY --from=prod-deps');
    expect(runtime).not.toMatch(/npm (ci|install)/);
  });

  it('runs the app selected by ARG APP as a non-root user, with a HEALTHCHECK on /health/live', () => {
    expect(runtime).toMatch(/^ARG APP$/m);
    expect(runtime).toMatch(/^USER 10001:10001$/m);
    const userLines = lines.filter((l) => /^USER\s/.test(l));
    expect(userLines.every((l) => !/\broot\b|\s0(:|$)/.test(l))).toBe(true);
    expect(runtime).toMatch(/^HEALTHCHECK .*\\\n\s+CMD \["node", "ops\/docker\/healthcheck\.js"\]$/m);
    expect(runtime).toContain('exec node dist/apps/$APP/src/main.js');
  });

  it("backup stage: MongoDB Database Tools from MongoDB's signed apt repository, /app laid out as the drill test builds it", () => {
    const start = lines.findIndex((l) => /^FROM .* AS backup$/i.test(l));
    const end = lines.findIndex((l, i) => i > start && /^FROM\s/i.test(l));
    const backup = lines.slice(start, end).join('\n');
    expect(backup).toMatch(
      /signed-by=\/usr\/share\/keyrings\/mongodb-server-\$\{MONGODB_SERIES\}\.gpg\] https:\/\/repo\.mongodb\.org\/apt\/debian /,
    );
    expect(backup).toMatch(/apt-get install -y --no-install-recommends .*\bmongodb-database-tools\b/);
    expect(backup).toContain('mongodump --version');
    // libs/ops/test/backup/documented-drill.int-spec.ts runs the documented drills in this layout.
    expect(backup).toMatch(/^WORKDIR \/app$/m);
    expect(backup).toMatch(/^COPY --from=build .*\/src\/dist \.\/dist$/m);
    expect(backup).toMatch(/^COPY .*scripts\/backup \.\/scripts\/backup$/m);
  });

  it('keeps secrets and local state out of the build context', () => {
    const ignore = readRepoFile('.dockerignore').split('\n');
    for (const entry of ['.git', '**/node_modules', '**/dist', '.env', '.infra']) expect(ignore).toContain(entry);
  });
});
