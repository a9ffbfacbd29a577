/**
 * Typed, fail-fast reading of environment variables. Only `config/` modules of the apps call this;
 * every problem names the variable and says what is wrong, all at once, before anything connects.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { mongoUrlProblem, postgresUrlProblem, redactCredentials } from './connection-strings';

export type Source = Record<string, string | undefined>;
export type Reader<T> = (source: Source, problems: string[]) => T;

/** Seed 000 environments. APP_ENV selects the profile; without it NODE_ENV=production means production. */
export const PROFILES = ['development', 'staging', 'production'] as const;
export type Profile = (typeof PROFILES)[number];

export function profileOf(source: Source): Profile {
  const appEnv = source.APP_ENV?.trim();
  if (appEnv) return (PROFILES as readonly string[]).includes(appEnv) ? (appEnv as Profile) : 'production';
  return source.NODE_ENV?.trim() === 'production' ? 'production' : 'development';
}

/** A default that depends on the profile; `undefined` makes the variable required in that profile. */
type Fallback<T> = T | undefined | ((profile: Profile) => T | undefined);

/** A default for development only: staging and production must set the variable (secrets, credentials). */
export function devOnly<T>(value: T): (profile: Profile) => T | undefined {
  return (profile) => (profile === 'development' ? value : undefined);
}

/** Per-profile defaults, e.g. `byProfile({ development: 'debug', staging: 'info', production: 'info' })`. */
export function byProfile<T>(values: Record<Profile, T>): (profile: Profile) => T {
  return (profile) => values[profile];
}

/** NAME, else the trimmed contents of the file named by NAME_FILE (Kubernetes/Docker secret mounts). */
export function rawValue(source: Source, name: string, problems: string[]): string | undefined | null {
  const direct = source[name]?.trim();
  if (direct) return direct;
  const file = source[`${name}_FILE`]?.trim();
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    problems.push(`${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return null;
  }
}

/** How a rejected value appears in the problem: quoted, credentials redacted (values may be connection strings). */
const shown = (raw: string) => JSON.stringify(redactCredentials(raw));

function read<T>(name: string, fallback: Fallback<T>, parse: (raw: string) => T | string): Reader<T> {
  return (source, problems) => {
    const profile = profileOf(source);
    const defaultValue =
      typeof fallback === 'function' ? (fallback as (p: Profile) => T | undefined)(profile) : fallback;
    const raw = rawValue(source, name, problems);
    if (raw === null) return defaultValue as T;
    if (raw === undefined || raw === '') {
      if (defaultValue === undefined) {
        problems.push(
          typeof fallback === 'function'
            ? `${name}: is required in ${profile} (set ${name} or ${name}_FILE)`
            : `${name}: is required but not set`,
        );
      }
      return defaultValue as T;
    }
    const parsed = parse(raw);
    if (typeof parsed === 'string' && parsed.startsWith('!')) {
      problems.push(`${name}: ${parsed.slice(1)} (got ${shown(raw)})`);
      return defaultValue as T;
    }
    return parsed as T;
  };
}

/** A `trustProxy` setting: none, or the proxies' addresses/CIDRs. */
export type ProxyTrust = false | string[];

function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** The entries of a comma-separated list, trimmed, empty ones dropped. */
function listEntries(raw: string): string[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

/** A parse function that keeps the value unless `problemOf` names a problem. */
function checkedBy(problemOf: (raw: string) => string | undefined): (raw: string) => string {
  return (raw) => {
    const problem = problemOf(raw);
    return problem ? `!${problem}` : raw;
  };
}

/** Variable readers. A parse failure is reported as a problem string starting with `!`. */
export const env = {
  /** The profile itself: APP_ENV must name one of PROFILES when set. */
  profile: (): Reader<Profile> => (source, problems) => {
    const appEnv = source.APP_ENV?.trim();
    if (appEnv && !(PROFILES as readonly string[]).includes(appEnv)) {
      problems.push(`APP_ENV: must be one of ${PROFILES.join(', ')} (got ${JSON.stringify(appEnv)})`);
    }
    return profileOf(source);
  },
  string: (name: string, fallback?: Fallback<string>) => read<string>(name, fallback, (raw) => raw),
  int: (name: string, fallback?: Fallback<number>, range: { min?: number; max?: number } = {}) =>
    read<number>(name, fallback, (raw) => {
      const value = Number(raw);
      if (!Number.isInteger(value)) return '!must be an integer' as unknown as number;
      if (range.min !== undefined && value < range.min) return `!must be >= ${range.min}` as unknown as number;
      if (range.max !== undefined && value > range.max) return `!must be <= ${range.max}` as unknown as number;
      return value;
    }),
  bool: (name: string, fallback?: Fallback<boolean>) =>
    read<boolean>(name, fallback, (raw) => {
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      return '!must be true or false' as unknown as boolean;
    }),
  /**
   * Which proxies' `X-Forwarded-For` to believe (Fastify `trustProxy`): `false` (none: the peer address is the
   * client) or a comma-separated list of the proxies' addresses/CIDRs (IPv4 or IPv6). `true` is refused (any
   * client could choose its address) and so is a hop count: it cannot check that the peer is a proxy at all,
   * which is why Fastify 5.12 treats one as "trust nothing".
   */
  proxyTrust: (name: string, fallback?: Fallback<ProxyTrust>) =>
    read<ProxyTrust>(name, fallback, (raw) => {
      if (/^(false|no)$/i.test(raw)) return false;
      if (/^(true|yes)$/i.test(raw)) {
        return "!trusting every hop lets any client choose its address: list the proxies' addresses or CIDRs";
      }
      if (/^\d+$/.test(raw)) {
        return "!a hop count cannot tell a proxy from a client: list the proxies' addresses or CIDRs";
      }
      const entries = raw.split(',').map((part) => part.trim());
      const bad = entries.find((entry) => !isAddressOrCidr(entry));
      return bad === undefined ? entries : `!${JSON.stringify(bad)} is not an IP address or CIDR`;
    }),
  oneOf: <T extends string>(name: string, allowed: readonly T[], fallback?: Fallback<T>) =>
    read<T>(name, fallback, (raw) =>
      (allowed as readonly string[]).includes(raw) ? (raw as T) : (`!must be one of ${allowed.join(', ')}` as T),
    ),
  url: (name: string, protocols: string[], fallback?: Fallback<string>) =>
    read<string>(name, fallback, (raw) => {
      try {
        const url = new URL(raw);
        if (!protocols.includes(url.protocol.replace(/:$/, ''))) return `!must use ${protocols.join(' or ')}://`;
        return raw;
      } catch {
        return '!is not a valid URL';
      }
    }),
  urlList: (name: string, protocols: string[], fallback?: Fallback<string[]>) =>
    read<string[]>(name, fallback, (raw) => {
      const urls = listEntries(raw);
      for (const candidate of urls) {
        try {
          if (!protocols.includes(new URL(candidate).protocol.replace(/:$/, ''))) {
            return `!each entry must use ${protocols.join(' or ')}://` as unknown as string[];
          }
        } catch {
          return `!${shown(candidate)} is not a valid URL` as unknown as string[];
        }
      }
      return urls;
    }),
  /** A MongoDB connection string, checked with the driver's own parser (replica-set host lists, SRV). */
  mongoUrl: (name: string, fallback?: Fallback<string>) => read<string>(name, fallback, checkedBy(mongoUrlProblem)),
  /** A PostgreSQL connection string, checked with node-postgres' own parser. */
  postgresUrl: (name: string, fallback?: Fallback<string>) =>
    read<string>(name, fallback, checkedBy(postgresUrlProblem)),
  /** Comma-separated PostgreSQL connection strings (read replicas). */
  postgresUrlList: (name: string, fallback?: Fallback<string[]>) =>
    read<string[]>(name, fallback, (raw) => {
      const urls = listEntries(raw);
      for (const candidate of urls) {
        const problem = postgresUrlProblem(candidate);
        if (problem) return `!${shown(candidate)} ${problem}` as unknown as string[];
      }
      return urls;
    }),
  /** Comma-separated `host:port` list, e.g. Kafka brokers. */
  hostPorts: (name: string, fallback?: Fallback<string[]>) =>
    read<string[]>(name, fallback, (raw) => {
      const entries = raw.split(',').map((part) => part.trim());
      const bad = entries.find(
        (entry) => !/^[A-Za-z0-9.-]+:\d{1,5}$/.test(entry) || Number(entry.split(':')[1]) > 65535,
      );
      return bad !== undefined ? (`!${JSON.stringify(bad)} is not host:port` as unknown as string[]) : entries;
    }),
};

export type ConfigSpec<T> = { [K in keyof T]: Reader<T[K]> | ConfigSpec<T[K]> };

/** Reads a whole spec; throws one ConfigError listing every problem. */
export function loadConfig<T>(spec: ConfigSpec<T>, source: Source = process.env): T {
  const problems: string[] = [];
  const result = readSpec(spec, source, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return result;
}

function readSpec<T>(spec: ConfigSpec<T>, source: Source, problems: string[]): T {
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(spec as Record<string, unknown>)) {
    out[key] =
      typeof entry === 'function'
        ? (entry as Reader<unknown>)(source, problems)
        : readSpec(entry as ConfigSpec<unknown>, source, problems);
  }
  return out as T;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** LOG_LEVEL: debug in development, info in staging and production. */
export function logLevelSpec(): Reader<(typeof LOG_LEVELS)[number]> {
  return env.oneOf('LOG_LEVEL', LOG_LEVELS, byProfile({ development: 'debug', staging: 'info', production: 'info' }));
}
