import 'reflect-metadata';
import { ALL_TOPICS, deadLetterTopic } from '@taskflow/contracts';
import { isPinnedImage, readRepoFile, readYaml } from '../src/testing/repo';

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
const ONE_SHOTS = ['kafka-init', 'migrate-users', 'migrate-tasks', 'migrate-audit'];

const isOneShot = (s: Service) => s.restart === 'no';
const commandOf = (s: Service) => [s.entrypoint, s.command].flat().filter(Boolean).join(' ');

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

  it('runs Kafka as a single-node KRaft broker+controller with topic auto-creation off', () => {
    const env = services.kafka.environment ?? {};
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`${env.KAFKA_NODE_ID}@kafka:9093`);
    expect(env.KAFKA_CONTROLLER_LISTENER_NAMES).toBe('CONTROLLER');
    expect(String(env.KAFKA_LISTENERS)).toContain('CONTROLLER://:9093');
    expect(env.KAFKA_ADVERTISED_LISTENERS).toBe('PLAINTEXT://kafka:9092');
    expect(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    expect(String(env.CLUSTER_ID)).toMatch(/^[A-Za-z0-9_-]{22}$/); // base64url of a 16-byte UUID
    expect(Object.keys(env).some((k) => k.includes('ZOOKEEPER'))).toBe(false);
  });

  it('creates every contract topic and its dead-letter topic explicitly before the apps start', () => {
    const init = services['kafka-init'];
    const topics = String(init.environment?.TOPICS).split(/\s+/).filter(Boolean).sort();
    expect(topics).toEqual([...ALL_TOPICS, ...ALL_TOPICS.map(deadLetterTopic)].sort());
    expect(commandOf(init)).toContain('kafka-topics.sh --bootstrap-server kafka:9092 --create --if-not-exists');
    expect(init.depends_on?.kafka.condition).toBe('service_healthy');
    for (const app of ['user-service', 'task-service', 'audit-service']) {
      expect(services[app].depends_on?.['kafka-init']?.condition).toBe('service_completed_successfully');
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
      'DATABASE_URL',
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
        key: expect.stringMatching(new RegExp(`^\\$\\{${prefix}_EVENT_SIGNING_KEY:\\?.*event-keys`)),
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
