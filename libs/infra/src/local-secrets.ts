import { generateKeyPairSync, randomUUID } from 'node:crypto';
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

/**
 * The local system's token keys, created once under `<infraDir>/secrets/` (git-ignored, mode 0600) and reused:
 * no key ships with the repository, and a development token stays valid across restarts of `npm start`.
 */
export function ensureLocalSigningKeys(infraDir: string): SigningKeyEnv {
  const dir = join(infraDir, 'secrets');
  const file = join(dir, 'jwt-signing-key.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as SigningKeyEnv;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys = generateSigningKeyEnv();
  writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  chmodSync(file, 0o600);
  return keys;
}
