import { createPrivateKey, createPublicKey, JsonWebKeyInput, KeyObject } from 'node:crypto';
import { loadConfig, rawValue, Reader, Source } from './env';
import { jwkSetEntries } from './jwk-set';

/** A producer's Ed25519 event-signing key and its key id (the `x-signature-key-id` header of what it publishes). */
export interface EventSigningKey {
  keyId: string;
  privateKey: KeyObject;
}

/** One public key a consumer accepts, and the canonical topics (`taskflow.<entity>.events.v1`) it may sign. */
export interface EventVerifyKey {
  publicKey: KeyObject;
  topics: ReadonlySet<string>;
}

/** Accepted event-signing keys by key id; parsed once at start-up, so verification never parses a key. */
export type EventVerifyKeys = ReadonlyMap<string, EventVerifyKey>;

const isEd25519 = (key: KeyObject) => key.asymmetricKeyType === 'ed25519';

/**
 * Reads a producer's event-signing key: `NAME` (or `NAME_FILE`) holds an Ed25519 private key as PKCS#8 PEM or as
 * a private JWK (`{"kty":"OKP","crv":"Ed25519","d",…}`); its key id is `${NAME}_ID`, or the JWK's `kid`. Required
 * in every profile unless `required` is false (then undefined when unset): `npm start` and the tests generate
 * their own keys. A problem never echoes the value (it is a secret).
 */
export function eventSigningKeySpec(name: string, { required = true } = {}): Reader<EventSigningKey | undefined> {
  return (source, problems) => {
    const raw = rawValue(source, name, problems);
    if (raw === null) return undefined;
    if (!raw) {
      if (required) {
        problems.push(`${name}: is required (an Ed25519 private key, PKCS#8 PEM or JWK; set ${name} or ${name}_FILE)`);
      }
      return undefined;
    }
    try {
      const jwk = raw.startsWith('{') ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
      const privateKey = jwk
        ? createPrivateKey({ key: jwk, format: 'jwk' } as JsonWebKeyInput)
        : createPrivateKey(raw.replace(/\\n/g, '\n'));
      if (!isEd25519(privateKey)) throw new Error('not Ed25519');
      const keyId = source[`${name}_ID`]?.trim() || (typeof jwk?.kid === 'string' ? jwk.kid : '');
      if (!keyId) {
        problems.push(`${name}_ID: is required (the key id under which EVENT_VERIFY_KEYS publishes this key)`);
        return undefined;
      }
      return { keyId, privateKey };
    } catch {
      problems.push(`${name}: must be an Ed25519 private key, PKCS#8 PEM or JWK (value not shown)`);
      return undefined;
    }
  };
}

/**
 * Reads the event verification keys: `NAME` (or `NAME_FILE`) holds a JWK Set (RFC 7517) of Ed25519 public keys,
 * `{"keys":[{"kty":"OKP","crv":"Ed25519","x":…,"kid":"user-service-1","topics":["taskflow.user.events.v1"]}]}`:
 * every key needs a `kid` and a non-empty `topics` list (the canonical topics it may sign; `topics` is a private
 * JWK member, RFC 7517 §4). Required in every profile.
 */
export function eventVerifyKeysSpec(name: string): Reader<EventVerifyKeys> {
  return (source, problems) => {
    const raw = rawValue(source, name, problems);
    const keys = new Map<string, EventVerifyKey>();
    if (raw === null) return keys;
    if (!raw) {
      problems.push(
        `${name}: is required (a JWK Set of the event producers' Ed25519 public keys; set ${name} or ${name}_FILE)`,
      );
      return keys;
    }
    try {
      for (const jwk of jwkSetEntries(raw, { publicOnly: true })) {
        const { topics } = jwk;
        if (!Array.isArray(topics) || topics.length === 0 || !topics.every((t) => typeof t === 'string' && t)) {
          throw new Error(`key ${jwk.kid}: topics must list the topics it may sign`);
        }
        const { topics: _topics, ...publicJwk } = jwk;
        const publicKey = createPublicKey({ key: publicJwk, format: 'jwk' } as JsonWebKeyInput);
        if (!isEd25519(publicKey)) throw new Error(`key ${jwk.kid}: not Ed25519`);
        keys.set(jwk.kid, { publicKey, topics: new Set(topics as string[]) });
      }
    } catch (error) {
      problems.push(
        `${name}: must be a JWK Set of Ed25519 public keys, each with a kid and its topics (${(error as Error).message})`,
      );
    }
    return keys;
  };
}

/** Reads only `EVENT_SIGNING_KEY` (+ `_ID`): for a producer outside the Nest apps (the backup scripts). */
export function loadEventSigningKey(source: Source = process.env, name = 'EVENT_SIGNING_KEY'): EventSigningKey {
  return loadConfig({ key: eventSigningKeySpec(name) }, source).key as EventSigningKey;
}

/** The JWK Set entry that publishes `publicKey` under `keyId` for `topics` (EVENT_VERIFY_KEYS). */
export function toEventVerifyJwk(keyId: string, publicKey: KeyObject, topics: readonly string[]) {
  return { ...publicKey.export({ format: 'jwk' }), kid: keyId, alg: 'EdDSA', use: 'sig', topics: [...topics] };
}
