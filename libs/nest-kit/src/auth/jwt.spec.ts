import { jwkThumbprint, SigningKey } from '@taskflow/config';
import jwt from 'jsonwebtoken';
import { generateKeyPairSync } from 'node:crypto';
import { ACCESS_TOKEN_AUDIENCE, JwtSigner, JwtVerifier, RPC_AUDIENCE, TOKEN_ISSUER } from './jwt';

function newKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid: jwkThumbprint(publicKey), privateKey, publicKey };
}

const key = newKey();
const signer = new JwtSigner(key);
const verifierFor = (audience: string, keys: SigningKey[] = [key]) =>
  new JwtVerifier(new Map(keys.map((k) => [k.kid, k.publicKey])), audience);
const subject = { actor: { id: 'user-1', role: 'user' as const }, sessionId: 'session-1' };

describe('JwtSigner / JwtVerifier', () => {
  afterEach(() => jest.useRealTimers());

  it('should accept a token it signed, again and again, and an anonymous one', () => {
    const verifier = verifierFor(ACCESS_TOKEN_AUDIENCE);
    const token = signer.sign(subject, ACCESS_TOKEN_AUDIENCE, 60);
    expect(verifier.verify(token)).toEqual(subject);
    expect(verifier.verify(token)).toEqual(subject);
    expect(verifier.verify(signer.sign({}, ACCESS_TOKEN_AUDIENCE, 60))).toEqual({});
  });

  it('should reject a remembered token once it expires', () => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    const verifier = verifierFor(ACCESS_TOKEN_AUDIENCE);
    const token = signer.sign(subject, ACCESS_TOKEN_AUDIENCE, 60);
    expect(verifier.verify(token)).toEqual(subject);
    jest.setSystemTime(new Date('2026-01-01T00:00:59Z'));
    expect(verifier.verify(token)).toEqual(subject);
    jest.setSystemTime(new Date('2026-01-01T00:01:00Z'));
    expect(verifier.verify(token)).toBeUndefined();
  });

  it('should refuse a token for another audience: a credential for user-service is not one for task-service', () => {
    const token = signer.sign(subject, RPC_AUDIENCE.user, 60);
    expect(verifierFor(RPC_AUDIENCE.user).verify(token)).toEqual(subject);
    expect(verifierFor(RPC_AUDIENCE.task).verify(token)).toBeUndefined();
    expect(verifierFor(ACCESS_TOKEN_AUDIENCE).verify(token)).toBeUndefined();
  });

  it('should never remember a token that failed: tampered, foreign key, alg none, HS256 with the public key', () => {
    const verifier = verifierFor(ACCESS_TOKEN_AUDIENCE);
    const good = signer.sign(subject, ACCESS_TOKEN_AUDIENCE, 60);
    const [header, payload, signature] = good.split('.');
    const admin = Buffer.from(
      JSON.stringify({
        sub: 'user-1',
        role: 'admin',
        sid: 'session-1',
        aud: ACCESS_TOKEN_AUDIENCE,
        iss: TOKEN_ISSUER,
        exp: 4e9,
      }),
    ).toString('base64url');
    const tampered = `${header}.${admin}.${signature}`;
    const stranger = newKey();
    const foreign = new JwtSigner({ ...stranger, kid: key.kid }).sign(subject, ACCESS_TOKEN_AUDIENCE, 60);
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    const pem = key.publicKey.export({ type: 'spki', format: 'pem' });
    const confused = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid: key.kid })).toString('base64url')}.${admin}.`;
    const hmac = jwt.sign({ sub: 'user-1', role: 'admin' }, pem, {
      algorithm: 'HS256',
      keyid: key.kid,
      audience: ACCESS_TOKEN_AUDIENCE,
      issuer: TOKEN_ISSUER,
      expiresIn: 60,
    });
    for (const token of [tampered, foreign, none, confused, hmac, 'not-a-jwt']) {
      expect(verifier.verify(token)).toBeUndefined();
      expect(verifier.verify(token)).toBeUndefined();
    }
  });

  it('should accept the previous key during a rotation, and refuse an unknown kid or no expiry', () => {
    const next = newKey();
    const rotated = verifierFor(ACCESS_TOKEN_AUDIENCE, [key, next]);
    expect(rotated.verify(signer.sign(subject, ACCESS_TOKEN_AUDIENCE, 60))).toEqual(subject);
    expect(rotated.verify(new JwtSigner(next).sign(subject, ACCESS_TOKEN_AUDIENCE, 60))).toEqual(subject);
    expect(
      verifierFor(ACCESS_TOKEN_AUDIENCE).verify(new JwtSigner(next).sign(subject, ACCESS_TOKEN_AUDIENCE, 60)),
    ).toBeUndefined();
    const noExp = jwt.sign({ sub: 'user-1', role: 'user' }, key.privateKey, {
      algorithm: 'ES256',
      keyid: key.kid,
      audience: ACCESS_TOKEN_AUDIENCE,
      issuer: TOKEN_ISSUER,
    });
    expect(verifierFor(ACCESS_TOKEN_AUDIENCE).verify(noExp)).toBeUndefined();
  });
});
