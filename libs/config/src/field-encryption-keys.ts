import { createSecretKey, KeyObject } from 'node:crypto';
import { rawValue, Reader } from './env';
import { jwkSetEntries } from './jwk-set';

/** Keys of column-level encryption (AES-256-GCM) and of the keyed blind index (HMAC-SHA-256). */
export interface FieldEncryptionKeys {
  /** The key new values are encrypted with. */
  activeKeyId: string;
  /** Every key a stored value may carry (the active one plus those still being rotated away), by key id. */
  keys: ReadonlyMap<string, KeyObject>;
  /** Blind-index key: equality lookups and uniqueness over encrypted values. */
  blindIndexKey: KeyObject;
}

const KEY_BYTES = 32;

/**
 * Reads `PII_ENCRYPTION_KEYS` (or `_FILE`): a JWK Set (RFC 7517) of 256-bit symmetric keys
 * `{"keys":[{"kty":"oct","kid":"…","k":"<base64url of 32 bytes>"}]}`; `PII_ENCRYPTION_KEY_ID`: the kid new values
 * are written with (must be in the set); `PII_BLIND_INDEX_KEY`: base64url of at least 32 bytes. Required in every
 * profile (no default key: `npm start` and the tests generate their own). A problem never echoes a value.
 */
export function fieldEncryptionKeysSpec(): Reader<FieldEncryptionKeys> {
  return (source, problems) => {
    const keys = new Map<string, KeyObject>();
    const set = rawValue(source, 'PII_ENCRYPTION_KEYS', problems);
    const activeKeyId = source.PII_ENCRYPTION_KEY_ID?.trim() ?? '';
    const blind = rawValue(source, 'PII_BLIND_INDEX_KEY', problems);
    const result = { activeKeyId, keys, blindIndexKey: undefined as unknown as KeyObject };
    if (set === null || blind === null) return result;
    if (!set) problems.push('PII_ENCRYPTION_KEYS: is required (a JWK Set of 256-bit oct keys)');
    else {
      try {
        for (const jwk of jwkSetEntries(set)) {
          const bytes = Buffer.from(typeof jwk.k === 'string' ? jwk.k : '', 'base64url');
          if (jwk.kty !== 'oct' || bytes.length !== KEY_BYTES) throw new Error('each key: kty oct, kid, 32 bytes');
          keys.set(jwk.kid, createSecretKey(bytes));
        }
      } catch (error) {
        problems.push(
          `PII_ENCRYPTION_KEYS: must be a JWK Set of 256-bit oct keys with kids (${(error as Error).message})`,
        );
      }
    }
    if (!activeKeyId) problems.push('PII_ENCRYPTION_KEY_ID: is required (the kid new values are encrypted with)');
    else if (keys.size > 0 && !keys.has(activeKeyId)) {
      problems.push('PII_ENCRYPTION_KEY_ID: names no key of PII_ENCRYPTION_KEYS');
    }
    const blindBytes = Buffer.from(blind ?? '', 'base64url');
    if (blindBytes.length < KEY_BYTES) {
      problems.push('PII_BLIND_INDEX_KEY: is required (base64url of at least 32 random bytes)');
    } else result.blindIndexKey = createSecretKey(blindBytes);
    return result;
  };
}
