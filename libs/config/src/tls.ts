import { readFileSync } from 'node:fs';
import { env, profileOf, Reader } from './env';

/** TLS to one backend, read from `<PREFIX>`, `<PREFIX>_CA_FILE` and `<PREFIX>_REJECT_UNAUTHORIZED`. */
export interface TlsSettings {
  enabled: boolean;
  /** PEM bundle of the CA that signed the server certificate; '' = the system CAs. */
  caFile: string;
  rejectUnauthorized: boolean;
}

/**
 * TLS is on by default and cannot be switched off (nor its certificate check) in production; off by
 * default elsewhere. A CA file must be readable at start-up, so a wrong mount fails fast with its name.
 */
export function tlsSettings(prefix: string): Reader<TlsSettings> {
  const enabled = env.bool(prefix, (profile) => profile === 'production');
  const caFile = env.string(`${prefix}_CA_FILE`, '');
  const rejectUnauthorized = env.bool(`${prefix}_REJECT_UNAUTHORIZED`, true);
  return (source, problems) => {
    const settings = {
      enabled: enabled(source, problems),
      caFile: caFile(source, problems),
      rejectUnauthorized: rejectUnauthorized(source, problems),
    };
    if (profileOf(source) === 'production') {
      if (!settings.enabled) problems.push(`${prefix}: must be true in production (TLS is required)`);
      if (!settings.rejectUnauthorized) {
        problems.push(`${prefix}_REJECT_UNAUTHORIZED: must be true in production (certificates are verified)`);
      }
    }
    if (settings.caFile) {
      try {
        readFileSync(settings.caFile);
      } catch (error) {
        problems.push(`${prefix}_CA_FILE: cannot read ${settings.caFile} (${(error as NodeJS.ErrnoException).code})`);
      }
    }
    return settings;
  };
}

type ReadFile = (path: string) => string;
const readUtf8: ReadFile = (path) => readFileSync(path, 'utf8');

/** node-postgres `ssl` (TypeORM passes it through): false, or the CA and the certificate check. */
export function postgresSsl(
  tls: TlsSettings,
  readFile: ReadFile = readUtf8,
): false | { ca?: string; rejectUnauthorized: boolean } {
  if (!tls.enabled) return false;
  return { ...(tls.caFile ? { ca: readFile(tls.caFile) } : {}), rejectUnauthorized: tls.rejectUnauthorized };
}

/** MongoClient options; `tls=true` in MONGO_URL works as well (the driver merges both). */
export function mongoTlsOptions(tls: TlsSettings): {
  tls?: true;
  tlsCAFile?: string;
  tlsAllowInvalidCertificates?: true;
} {
  if (!tls.enabled) return {};
  return {
    tls: true,
    ...(tls.caFile ? { tlsCAFile: tls.caFile } : {}),
    ...(tls.rejectUnauthorized ? {} : { tlsAllowInvalidCertificates: true }),
  };
}

/** ioredis `tls` option: on with REDIS_TLS=true or a `rediss://` URL. */
export function redisTlsOptions(
  tls: TlsSettings,
  url: string,
  readFile: ReadFile = readUtf8,
): undefined | { ca?: string; rejectUnauthorized: boolean } {
  if (!tls.enabled && !url.startsWith('rediss:')) return undefined;
  return { ...(tls.caFile ? { ca: readFile(tls.caFile) } : {}), rejectUnauthorized: tls.rejectUnauthorized };
}

export const SASL_MECHANISMS = ['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const;
export interface KafkaSaslSettings {
  mechanism: (typeof SASL_MECHANISMS)[number];
  username: string;
  password: string;
}

/** KAFKA_SASL_MECHANISM (none by default), KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD (or _FILE). */
export function kafkaSaslSettings(): Reader<KafkaSaslSettings> {
  const mechanism = env.oneOf('KAFKA_SASL_MECHANISM', SASL_MECHANISMS, 'none');
  const username = env.string('KAFKA_SASL_USERNAME', '');
  const password = env.string('KAFKA_SASL_PASSWORD', '');
  return (source, problems) => {
    const settings = {
      mechanism: mechanism(source, problems),
      username: username(source, problems),
      password: password(source, problems),
    };
    if (settings.mechanism !== 'none' && (!settings.username || !settings.password)) {
      problems.push('KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD: both are required when KAFKA_SASL_MECHANISM is set');
    }
    return settings;
  };
}

type SaslMechanism = Exclude<KafkaSaslSettings['mechanism'], 'none'>;
/** The shape kafkajs expects (a union discriminated by mechanism). */
export type KafkaSasl = { [M in SaslMechanism]: { mechanism: M; username: string; password: string } }[SaslMechanism];

/** kafkajs client `ssl` and `sasl` options. */
export function kafkaSecurityOptions(
  tls: TlsSettings,
  sasl: KafkaSaslSettings,
  readFile: ReadFile = readUtf8,
): { ssl?: true | { ca?: string[]; rejectUnauthorized: boolean }; sasl?: KafkaSasl } {
  // `true` = TLS with the system CAs; an object when a CA or a relaxed check is configured.
  const ssl = !tls.enabled
    ? undefined
    : tls.caFile || !tls.rejectUnauthorized
      ? { ...(tls.caFile ? { ca: [readFile(tls.caFile)] } : {}), rejectUnauthorized: tls.rejectUnauthorized }
      : (true as const);
  return {
    ...(ssl ? { ssl } : {}),
    ...(sasl.mechanism !== 'none'
      ? { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as KafkaSasl }
      : {}),
  };
}

/** KAFKA_SSL (+ _CA_FILE, _REJECT_UNAUTHORIZED) and the optional SASL credentials. */
export function kafkaSecuritySpec() {
  return { tls: tlsSettings('KAFKA_SSL'), sasl: kafkaSaslSettings() };
}
