import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// Relative, not @taskflow/contracts: the Jest global setup loads this file without the path aliases.
// eslint-disable-next-line @nx/enforce-module-boundaries -- no path aliases in Jest global setup
import { ALL_TOPICS, Topics } from '../../contracts/src/events/topics';

/** The environment variables that carry the token keys to the apps (see libs/config signing-keys). */
export interface SigningKeyEnv {
  JWT_PRIVATE_KEY: string;
  JWT_PRIVATE_KEY_ID: string;
  JWT_PUBLIC_KEYS: string;
}

/** A fresh EC P-256 key pair as app environment: the PKCS#8 PEM, its key id, and the JWK Set that publishes it. */
export function generateSigningKeyEnv(): SigningKeyEnv {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = `local-${randomUUID()}`;
  return {
    JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    JWT_PRIVATE_KEY_ID: kid,
    JWT_PUBLIC_KEYS: JSON.stringify({
      keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }],
    }),
  };
}

/** The environment variables of the email's column encryption (see libs/config field-encryption-keys). */
export interface FieldEncryptionKeyEnv {
  PII_ENCRYPTION_KEYS: string;
  PII_ENCRYPTION_KEY_ID: string;
  PII_BLIND_INDEX_KEY: string;
}

/** A fresh AES-256 key (JWK Set of one oct key, its kid) and a fresh 256-bit blind-index key, as app environment. */
export function generateFieldEncryptionKeyEnv(): FieldEncryptionKeyEnv {
  const kid = `local-${randomUUID()}`;
  return {
    PII_ENCRYPTION_KEYS: JSON.stringify({ keys: [{ kty: 'oct', kid, k: randomBytes(32).toString('base64url') }] }),
    PII_ENCRYPTION_KEY_ID: kid,
    PII_BLIND_INDEX_KEY: randomBytes(32).toString('base64url'),
  };
}

/**
 * The local system's token keys, created once under `<infraDir>/secrets/` (git-ignored, mode 0600) and reused:
 * no key ships with the repository, and a development token stays valid across restarts of `npm start`.
 */
export function ensureLocalSigningKeys(infraDir: string): SigningKeyEnv {
  return ensureLocalSecret(infraDir, 'jwt-signing-key.json', generateSigningKeyEnv);
}

/** A fresh HMAC key for audit-service's tamper-evidence checkpoints (48 random bytes, base64url). */
export function generateCheckpointKeyEnv(): { AUDIT_CHECKPOINT_KEY: string } {
  return { AUDIT_CHECKPOINT_KEY: randomBytes(48).toString('base64url') };
}

/** The local checkpoint key, created once (checkpoints sealed with it keep verifying across restarts). */
export function ensureLocalCheckpointKey(infraDir: string): { AUDIT_CHECKPOINT_KEY: string } {
  return ensureLocalSecret(infraDir, 'audit-checkpoint-key.json', generateCheckpointKeyEnv);
}

/** The local email-encryption keys, created once like the token keys (data encrypted with them stays readable). */
export function ensureLocalFieldEncryptionKeys(infraDir: string): FieldEncryptionKeyEnv {
  return ensureLocalSecret(infraDir, 'pii-encryption-keys.json', generateFieldEncryptionKeyEnv);
}

function ensureLocalSecret<T>(infraDir: string, name: string, generate: () => T): T {
  const dir = join(infraDir, 'secrets');
  const file = join(dir, name);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as T;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secret = generate();
  writeFileSync(file, JSON.stringify(secret), { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

/** What one event producer is given: its Ed25519 private key (PKCS#8 PEM) and key id (see libs/config event-signing-keys). */
export interface EventSigningKeyEnv {
  EVENT_SIGNING_KEY: string;
  EVENT_SIGNING_KEY_ID: string;
}

/** Every producer's signing key, and the JWK Set audit-service verifies them with (EVENT_VERIFY_KEYS). */
export interface EventKeysEnv {
  producers: Record<string, EventSigningKeyEnv>;
  EVENT_VERIFY_KEYS: string;
}

/**
 * The event producers and the canonical topics each may sign: one key per producer, so a leaked or misused key
 * can forge nothing outside its own topics (audit-service dead-letters it as `key-not-allowed`).
 */
export const EVENT_PRODUCERS: Readonly<Record<string, readonly string[]>> = {
  'user-service': [Topics.user],
  'task-service': [Topics.task],
  backup: [Topics.system],
  'audit-service': [Topics.system, Topics.audit],
};

/**
 * The tests' own producer (libs/testing `signedMessage`): tests publish events of every type directly, so its key
 * may sign every topic. Only the Jest global setup adds it; no deployment publishes it.
 */
export const TEST_EVENT_PRODUCER = { 'test-producer': ALL_TOPICS } as const;

/** Fresh Ed25519 keys for `producers` (name → allowed topics), with key ids `<name>-<random>`. */
export function generateEventKeysEnv(
  producers: Readonly<Record<string, readonly string[]>> = EVENT_PRODUCERS,
): EventKeysEnv {
  const keys: Record<string, EventSigningKeyEnv> = {};
  const jwks: object[] = [];
  for (const [name, topics] of Object.entries(producers)) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const kid = `${name}-${randomUUID().slice(0, 8)}`;
    keys[name] = {
      EVENT_SIGNING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      EVENT_SIGNING_KEY_ID: kid,
    };
    jwks.push({ ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig', topics: [...topics] });
  }
  return { producers: keys, EVENT_VERIFY_KEYS: JSON.stringify({ keys: jwks }) };
}

/**
 * The local system's event-signing keys, created once under `<infraDir>/secrets/` (git-ignored, mode 0600) and
 * reused, like the token keys: events stored by a previous `npm start` stay verifiable from the same key set.
 */
export function ensureLocalEventKeys(infraDir: string): EventKeysEnv {
  const dir = join(infraDir, 'secrets');
  const file = join(dir, 'event-signing-keys.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as EventKeysEnv;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys = generateEventKeysEnv();
  writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  chmodSync(file, 0o600);
  return keys;
}

/** The secret name prefix of each producer's key in docker compose's `.env` and the Kubernetes Secret. */
export const EVENT_KEY_SECRET_PREFIX: Readonly<Record<string, string>> = {
  'user-service': 'USER_SERVICE',
  'task-service': 'TASK_SERVICE',
  'audit-service': 'AUDIT_SERVICE',
  backup: 'BACKUP',
};

/**
 * `keys` as the flat secrets a deployment holds: `<PREFIX>_EVENT_SIGNING_KEY` and `<PREFIX>_EVENT_SIGNING_KEY_ID`
 * per producer, and EVENT_VERIFY_KEYS. Each workload maps its own pair onto EVENT_SIGNING_KEY(_ID).
 */
export function eventKeySecrets(keys: EventKeysEnv = generateEventKeysEnv()): Record<string, string> {
  const secrets: Record<string, string> = { EVENT_VERIFY_KEYS: keys.EVENT_VERIFY_KEYS };
  for (const [name, prefix] of Object.entries(EVENT_KEY_SECRET_PREFIX)) {
    secrets[`${prefix}_EVENT_SIGNING_KEY`] = keys.producers[name].EVENT_SIGNING_KEY;
    secrets[`${prefix}_EVENT_SIGNING_KEY_ID`] = keys.producers[name].EVENT_SIGNING_KEY_ID;
  }
  return secrets;
}
