import { createHash, createPrivateKey, createPublicKey, JsonWebKeyInput, KeyObject } from 'node:crypto';
import { loadConfig, rawValue, Reader, Source } from './env';
import { jwkSetEntries } from './jwk-set';

/** The issuer's private key and its key id (the `kid` header of every token it signs). */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Public keys by key id: what a verifier accepts (the current key, plus the previous one during a rotation). */
export type VerificationKeys = ReadonlyMap<string, KeyObject>;

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of an EC P-256 public key: a stable default key id. */
export function jwkThumbprint(publicKey: KeyObject): string {
  const { crv, kty, x, y } = publicKey.export({ format: 'jwk' });
  return createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/**
 * Reads the ES256 signing key: `NAME` (or `NAME_FILE`) holds a PKCS#8 PEM EC P-256 private key; its key id is
 * `${NAME}_ID` when set (it must match the `kid` of this key in the verifiers' JWK Set), else the key's RFC 7638
 * thumbprint. Required in every profile: there is no default key,
 * `npm start` and the tests generate their own. A problem never echoes the value (it is a secret).
 */
export function signingKeySpec(name: string): Reader<SigningKey> {
  return (source, problems) => {
    const raw = rawValue(source, name, problems);
    if (raw === null) return undefined as unknown as SigningKey;
    if (!raw) {
      problems.push(`${name}: is required (an EC P-256 private key, PKCS#8 PEM; set ${name} or ${name}_FILE)`);
      return undefined as unknown as SigningKey;
    }
    try {
      const privateKey = createPrivateKey(raw.replace(/\\n/g, '\n'));
      if (!isP256(privateKey)) throw new Error('not P-256');
      const publicKey = createPublicKey(privateKey);
      return { kid: source[`${name}_ID`]?.trim() || jwkThumbprint(publicKey), privateKey, publicKey };
    } catch {
      problems.push(`${name}: must be an EC P-256 private key in PKCS#8 PEM (value not shown)`);
      return undefined as unknown as SigningKey;
    }
  };
}

/**
 * Reads the verification keys: `NAME` (or `NAME_FILE`) holds a JWK Set (RFC 7517) `{"keys":[{kty:"EC",crv:"P-256",
 * x,y,kid}, ...]}`; every key needs a `kid`. Required in every profile unless `required` is false (the gateway,
 * which knows its own public key and needs this only for the previous key during a rotation).
 */
export function verificationKeysSpec(name: string, { required = true } = {}): Reader<VerificationKeys> {
  return (source, problems) => {
    const raw = rawValue(source, name, problems);
    const keys = new Map<string, KeyObject>();
    if (raw === null || (!raw && !required)) return keys;
    if (!raw) {
      problems.push(`${name}: is required (a JWK Set of the token issuer's public keys; set ${name} or ${name}_FILE)`);
      return keys;
    }
    try {
      for (const jwk of jwkSetEntries(raw, { publicOnly: true })) {
        const key = createPublicKey({ key: jwk, format: 'jwk' } as JsonWebKeyInput);
        if (!isP256(key)) throw new Error('not P-256');
        keys.set(jwk.kid, key);
      }
    } catch (error) {
      problems.push(
        `${name}: must be a JWK Set of EC P-256 public keys, each with a kid (${(error as Error).message})`,
      );
    }
    return keys;
  };
}

/**
 * Reads only the verification keys of `name` (see verificationKeysSpec): for a server that verifies tokens, kept
 * apart from the app's main configuration so that its Jobs (migrate, seed, create-admin) need no keys.
 * Throws ConfigError naming the variable.
 */
export function loadVerificationKeys(name: string, source: Source = process.env): VerificationKeys {
  return loadConfig({ keys: verificationKeysSpec(name) }, source).keys;
}

/** The JWK Set document that publishes `keys` (for JWT_PUBLIC_KEYS, a JWKS endpoint or a mounted file). */
export function toJwks(keys: Array<{ kid: string; publicKey: KeyObject }>): string {
  return JSON.stringify({
    keys: keys.map(({ kid, publicKey }) => ({ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' })),
  });
}
