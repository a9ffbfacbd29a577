import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
