import {
  eventSigningKeySpec,
  EventVerifyKeys,
  eventVerifyKeysSpec,
  loadConfig,
  toEventVerifyJwk,
} from '@taskflow/config';
import { createEnvelope, Topics, Events } from '@taskflow/contracts';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import {
  SIGNATURE_HEADER,
  SIGNATURE_KEY_ID_HEADER,
  signEnvelope,
  signEventValue,
  verifyEventSignature,
} from './event-signature';

function producerKey(keyId: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { key: { keyId, privateKey }, publicKey };
}

const user = producerKey('user-service-1');
const task = producerKey('task-service-1');
const stranger = producerKey('stranger-1');
// As audit-service reads them: EVENT_VERIFY_KEYS publishes user-service and task-service, not the stranger.
const keys: EventVerifyKeys = loadConfig(
  {
    keys: eventVerifyKeysSpec('EVENT_VERIFY_KEYS'),
  },
  {
    EVENT_VERIFY_KEYS: JSON.stringify({
      keys: [
        toEventVerifyJwk(user.key.keyId, user.publicKey, [Topics.user]),
        toEventVerifyJwk(task.key.keyId, task.publicKey, [Topics.task]),
      ],
    }),
  },
).keys;

function roleChange() {
  const userId = randomUUID();
  return createEnvelope(Events.UserRoleChanged, {
    actorId: randomUUID(),
    entityId: userId,
    payload: { userId, from: 'user', to: 'admin' },
  });
}

/** A consumed message as kafkajs hands it over (header values are Buffers). */
function received(message: { value: Buffer; headers: Record<string, string> }) {
  const headers = Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, Buffer.from(v)]));
  return { value: message.value, headers };
}

describe('event signatures (Ed25519 over the RFC 8785 canonical envelope)', () => {
  it('should accept a genuine event on its own topic and name the key', () => {
    const signed = signEnvelope(roleChange(), user.key);
    expect(verifyEventSignature(Topics.user, received(signed), keys)).toEqual({ ok: true, keyId: 'user-service-1' });
    // A test or bench run's prefixed copy of the topic stands for the same canonical topic.
    expect(verifyEventSignature(`run-42.${Topics.user}`, received(signed), keys).ok).toBe(true);
  });

  it('should send the canonical form: members sorted, no whitespace, same bytes for the same content', () => {
    const envelope = roleChange();
    const reordered = Object.fromEntries(Object.entries(envelope).reverse()) as typeof envelope;
    const signed = signEnvelope(envelope, user.key);
    expect(signEnvelope(reordered, user.key).value.equals(signed.value)).toBe(true);
    const text = signed.value.toString();
    expect(text.indexOf('"actorId"')).toBeLessThan(text.indexOf('"entityId"'));
    expect(text).not.toMatch(/\n|": /);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(envelope)));
    expect(signed.headers[SIGNATURE_HEADER]).toMatch(/^[A-Za-z0-9_-]{86}$/);
  });

  it.each([0, 37, -1])('should refuse the value with one byte changed (byte %i) as bad-signature', (at) => {
    const signed = signEnvelope(roleChange(), user.key);
    const tampered = Buffer.from(signed.value);
    const index = at < 0 ? tampered.length + at : at;
    tampered[index] ^= 0x01;
    const result = verifyEventSignature(Topics.user, received({ ...signed, value: tampered }), keys);
    expect(result).toMatchObject({ ok: false, code: 'bad-signature' });
  });

  it('should refuse an edited body (role "admin" → "auditor") re-serialised under the original signature', () => {
    const envelope = roleChange();
    const signed = signEnvelope(envelope, user.key);
    const edited = signEnvelope({ ...envelope, payload: { ...envelope.payload, to: 'auditor' } }, user.key);
    const forged = { value: edited.value, headers: signed.headers };
    expect(verifyEventSignature(Topics.user, received(forged), keys)).toMatchObject({
      ok: false,
      code: 'bad-signature',
      reason: expect.stringContaining('user-service-1'),
    });
  });

  it('should refuse a signature made by another key under a known key id as bad-signature', () => {
    const signed = signEnvelope(roleChange(), { ...stranger.key, keyId: user.key.keyId });
    expect(verifyEventSignature(Topics.user, received(signed), keys)).toMatchObject({ code: 'bad-signature' });
  });

  it('should refuse a key id EVENT_VERIFY_KEYS does not publish as unknown-key', () => {
    const signed = signEnvelope(roleChange(), stranger.key);
    expect(verifyEventSignature(Topics.user, received(signed), keys)).toEqual({
      ok: false,
      code: 'unknown-key',
      reason: 'signed by unknown key "stranger-1"',
    });
  });

  it('should refuse a genuine signature on a topic its key may not sign as key-not-allowed', () => {
    const signed = signEnvelope(roleChange(), task.key); // task-service's key, on the user topic
    expect(verifyEventSignature(Topics.user, received(signed), keys)).toMatchObject({
      ok: false,
      code: 'key-not-allowed',
      reason: `key task-service-1 may not sign events on ${Topics.user}`,
    });
    expect(
      verifyEventSignature('some.other.topic', received(signEnvelope(roleChange(), user.key)), keys),
    ).toMatchObject({
      code: 'key-not-allowed',
    });
  });

  it.each([
    ['no headers', {}],
    ['a signature without key id', { [SIGNATURE_HEADER]: 'x'.repeat(86) }],
    ['a key id without signature', { [SIGNATURE_KEY_ID_HEADER]: 'user-service-1' }],
  ])('should refuse %s as unsigned', (_label, headers) => {
    const value = signEnvelope(roleChange(), user.key).value;
    expect(verifyEventSignature(Topics.user, received({ value, headers }), keys)).toMatchObject({ code: 'unsigned' });
  });

  it.each([
    ['truncated', (s: string) => s.slice(0, 40)],
    ['not base64url', (s: string) => `${s.slice(0, 85)}=`],
  ])('should refuse a %s signature as bad-signature without throwing', (_label, mangle) => {
    const signed = signEnvelope(roleChange(), user.key);
    const headers = { ...signed.headers, [SIGNATURE_HEADER]: mangle(signed.headers[SIGNATURE_HEADER]) };
    expect(verifyEventSignature(Topics.user, received({ value: signed.value, headers }), keys)).toMatchObject({
      code: 'bad-signature',
    });
  });

  it('should refuse an empty value and repeated headers without throwing', () => {
    const signed = signEventValue(Buffer.from('{}'), user.key);
    expect(verifyEventSignature(Topics.user, { value: null, headers: signed.headers }, keys)).toMatchObject({
      code: 'bad-signature',
    });
    const twice = { ...signed.headers, [SIGNATURE_KEY_ID_HEADER]: [Buffer.from('a'), Buffer.from('b')] };
    expect(verifyEventSignature(Topics.user, { value: signed.value, headers: twice }, keys)).toMatchObject({
      code: 'unsigned',
    });
  });
});

describe('event key configuration', () => {
  const problemsOf = (reader: ReturnType<typeof eventVerifyKeysSpec>, source: Record<string, string>) => {
    const problems: string[] = [];
    reader(source, problems);
    return problems;
  };

  it('should read an Ed25519 signing key from PKCS#8 PEM (escaped newlines) or a private JWK', () => {
    const pem = user.key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().replace(/\n/g, '\\n');
    const fromPem = loadConfig(
      { key: eventSigningKeySpec('EVENT_SIGNING_KEY') },
      { EVENT_SIGNING_KEY: pem, EVENT_SIGNING_KEY_ID: 'user-service-1' },
    ).key!;
    expect(fromPem.keyId).toBe('user-service-1');
    const jwk = JSON.stringify({ ...user.key.privateKey.export({ format: 'jwk' }), kid: 'from-jwk' });
    const fromJwk = loadConfig({ key: eventSigningKeySpec('EVENT_SIGNING_KEY') }, { EVENT_SIGNING_KEY: jwk }).key!;
    expect(fromJwk.keyId).toBe('from-jwk');
    const signed = signEnvelope(roleChange(), { ...fromJwk, keyId: 'user-service-1' });
    expect(verifyEventSignature(Topics.user, received(signed), keys).ok).toBe(true);
  });

  it('should refuse a missing key, a non-Ed25519 key (without echoing it) and a key without id', () => {
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    const read = (source: Record<string, string>) => {
      const problems: string[] = [];
      eventSigningKeySpec('EVENT_SIGNING_KEY')(source, problems);
      return problems.join('\n');
    };
    expect(read({})).toMatch(/EVENT_SIGNING_KEY: is required/);
    const refused = read({ EVENT_SIGNING_KEY: p256.toString(), EVENT_SIGNING_KEY_ID: 'k' });
    expect(refused).toMatch(/must be an Ed25519 private key.*value not shown/);
    expect(refused).not.toContain('PRIVATE KEY');
    const pem = user.key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(read({ EVENT_SIGNING_KEY: pem })).toMatch(/EVENT_SIGNING_KEY_ID: is required/);
  });

  it('should refuse a verify key set without topics, without kid, with a duplicated kid, empty, or of another curve', () => {
    const jwk = toEventVerifyJwk('k1', user.publicKey, [Topics.user]);
    const set = (...entries: object[]) => ({ EVENT_VERIFY_KEYS: JSON.stringify({ keys: entries }) });
    expect(problemsOf(eventVerifyKeysSpec('EVENT_VERIFY_KEYS'), set(jwk))).toEqual([]);
    expect(problemsOf(eventVerifyKeysSpec('EVENT_VERIFY_KEYS'), set({ ...jwk, topics: [] })).join()).toMatch(
      /k1: topics must list/,
    );
    expect(problemsOf(eventVerifyKeysSpec('EVENT_VERIFY_KEYS'), set({ ...jwk, kid: undefined })).join()).toMatch(
      /kid missing/,
    );
    expect(problemsOf(eventVerifyKeysSpec('EVENT_VERIFY_KEYS'), set(jwk, jwk)).join()).toMatch(/appears twice/);
    expect(problemsOf(eventVerifyKeysSpec('EVENT_VERIFY_KEYS'), set()).join()).toMatch(/no keys/);
    expect(problemsOf(eventVerifyKeysSpec('EVENT_VERIFY_KEYS'), {}).join()).toMatch(/EVENT_VERIFY_KEYS: is required/);
    const ecJwk = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) };
    expect(
      problemsOf(eventVerifyKeysSpec('EVENT_VERIFY_KEYS'), set({ ...ecJwk, kid: 'ec', topics: [Topics.user] })).join(),
    ).toMatch(/ec: not Ed25519/);
  });
});
