import { FieldEncryptionKeys } from '@taskflow/config';
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Column-level encryption of personal data (seed 000 "Column-level encryption for PII"): AES-256-GCM with a random
 * 96-bit IV per value, the column name as additional authenticated data (a ciphertext moved to another column
 * does not decrypt), and the key id in the stored form `v1.<kid>.<iv>.<ciphertext+tag>` (base64url parts), so
 * keys rotate without downtime. Equality lookups and uniqueness go through a keyed blind index
 * (HMAC-SHA-256, hex) of the normalised value: the database never sees the plaintext.
 */
export class FieldCipher {
  constructor(private readonly keys: FieldEncryptionKeys) {}

  /** Encrypts `plaintext` for `column` under the active key. */
  encrypt(plaintext: string, column: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.keys.get(this.keys.activeKeyId)!, iv);
    cipher.setAAD(Buffer.from(column));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, this.keys.activeKeyId, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  /** Decrypts a stored value of `column`; throws when its key is unknown or it was altered. */
  decrypt(stored: string, column: string): string {
    const [version, kid, iv, body] = stored.split('.');
    const key = this.keys.keys.get(kid ?? '');
    if (version !== VERSION || !key || !iv || !body) throw new Error(`cannot decrypt ${column}: unknown format or key`);
    const bytes = Buffer.from(body, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(column));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  }

  /** Whether a stored value was written with another key than the active one (key rotation re-encrypts it). */
  needsRotation(stored: string): boolean {
    return stored.split('.')[1] !== this.keys.activeKeyId;
  }

  /** The blind index of an already normalised value of `column` (64 hex characters). */
  blindIndex(normalised: string, column: string): string {
    return createHmac('sha256', this.keys.blindIndexKey).update(`${column}\0${normalised}`).digest('hex');
  }
}
