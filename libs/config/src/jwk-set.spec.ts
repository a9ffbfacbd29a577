import { generateKeyPairSync } from 'node:crypto';
import { loadConfig } from './env';
import { fieldEncryptionKeysSpec } from './field-encryption-keys';
import { jwkSetEntries } from './jwk-set';
import { verificationKeysSpec } from './signing-keys';

describe('jwkSetEntries', () => {
  it('answers the keys of a set, each with its kid', () => {
    expect(jwkSetEntries('{"keys":[{"kid":"a","kty":"oct"},{"kid":"b"}]}')).toEqual([
      { kid: 'a', kty: 'oct' },
      { kid: 'b' },
    ]);
  });

  it.each([
    ['{"keys":[{"kid":"a","k":SECRET-MATERIAL}]}', 'not JSON'],
    ['null', 'no keys'],
    ['{"keys":[]}', 'no keys'],
    ['{"keys":{"kid":"a"}}', 'no keys'],
    ['{"keys":["a"]}', 'a key is not an object'],
    ['{"keys":[{"kty":"oct"}]}', 'kid missing'],
    ['{"keys":[{"kid":""}]}', 'kid missing'],
    ['{"keys":[{"kid":"a"},{"kid":"a"}]}', 'kid a appears twice'],
  ])('refuses %s: %s', (raw, reason) => {
    expect(() => jwkSetEntries(raw)).toThrow(new Error(reason));
  });

  it('never quotes the value in a configuration problem, for every key set read with it', () => {
    const raw = '{"keys":[{"kid":"a","k":c2VjcmV0LWtleS1tYXRlcmlhbA}]}'; // JSON.parse quotes it
    const problems = (source: Record<string, string>, spec: Parameters<typeof loadConfig>[0]) => {
      try {
        loadConfig(spec, source);
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };
    const pii = problems(
      { PII_ENCRYPTION_KEYS: raw, PII_ENCRYPTION_KEY_ID: 'a', PII_BLIND_INDEX_KEY: 'x'.repeat(64) },
      { keys: fieldEncryptionKeysSpec() },
    );
    const jwt = problems({ JWT_PUBLIC_KEYS: raw }, { keys: verificationKeysSpec('JWT_PUBLIC_KEYS') });
    for (const message of [pii, jwt]) {
      expect(message).toContain('not JSON');
      expect(message).not.toContain('c2VjcmV0');
    }
  });

  it('refuses private key material in a public set (the token and event verification keys)', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'leaked' };
    const raw = JSON.stringify({ keys: [privateJwk] });
    expect(() => jwkSetEntries(raw, { publicOnly: true })).toThrow('key leaked holds private key material ("d")');
    expect(jwkSetEntries(raw)).toHaveLength(1);
    let message = '';
    try {
      loadConfig({ keys: verificationKeysSpec('JWT_PUBLIC_KEYS') }, { JWT_PUBLIC_KEYS: raw });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('holds private key material');
    expect(message).not.toContain(String(privateJwk.d));
  });
});
