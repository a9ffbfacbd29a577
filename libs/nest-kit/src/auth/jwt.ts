import type { SigningKey, VerificationKeys } from '@taskflow/config';
import { USER_ROLES, UserRole } from '@taskflow/contracts';
import jwt from 'jsonwebtoken';

/** `iss` of every token: only the gateway signs. */
export const TOKEN_ISSUER = 'taskflow-api-gateway';

/** `aud` of the access tokens clients present to the gateway and to audit-service. */
export const ACCESS_TOKEN_AUDIENCE = 'taskflow-api';

/** `aud` of the per-call credentials the gateway mints for each service (RPC). */
export const RPC_AUDIENCE = { user: 'user-service', task: 'task-service' } as const;

/** Verified tokens remembered; beyond this the oldest is forgotten (~0.5 KB each). */
const VERIFIED_MAX = 10_000;

/** Who the token speaks for: a user (id, role, session) or, for anonymous calls, nobody. */
export interface TokenSubject {
  actor?: { id: string; role: UserRole };
  sessionId?: string;
}

/**
 * ES256 signer with the gateway's private key; the `kid` header names the key so verifiers can hold several
 * (rotation without downtime). jsonwebtoken is given KeyObjects built once (a PEM string is re-parsed per call).
 */
export class JwtSigner {
  constructor(private readonly key: SigningKey) {}

  /** A compact JWS with `sub` (actor id), `role`, `sid`, `aud`, `iss`, `iat`, `exp` (now + ttlSeconds). */
  sign(subject: TokenSubject, audience: string, ttlSeconds: number): string {
    const claims = {
      ...(subject.actor ? { sub: subject.actor.id, role: subject.actor.role } : {}),
      ...(subject.sessionId ? { sid: subject.sessionId } : {}),
    };
    return jwt.sign(claims, this.key.privateKey, {
      algorithm: 'ES256',
      keyid: this.key.kid,
      issuer: TOKEN_ISSUER,
      audience,
      expiresIn: ttlSeconds,
    });
  }
}

/**
 * Verifies ES256 tokens of one audience against the public keys by `kid`. Algorithm, issuer and audience are
 * pinned (`alg: none`, HS256 with the public key as secret, a token for another service: all refused), and
 * every token must expire. A token that verified is remembered by its exact string until its `exp`, so a
 * client's repeated token costs a Map lookup instead of an ECDSA verification.
 */
export class JwtVerifier {
  private readonly verified = new Map<string, { subject: TokenSubject; exp: number }>();

  constructor(
    private readonly keys: VerificationKeys,
    private readonly audience: string,
  ) {}

  /** The subject of a valid token, else undefined (bad signature, unknown kid, wrong alg/iss/aud, expired). */
  verify(token: string): TokenSubject | undefined {
    const now = Math.floor(Date.now() / 1000);
    const known = this.verified.get(token);
    if (known) {
      if (now < known.exp) return known.subject; // jsonwebtoken's rule: expired once now >= exp
      this.verified.delete(token);
      return undefined;
    }
    const verified = this.verifyInFull(token);
    if (!verified) return undefined;
    if (this.verified.size >= VERIFIED_MAX) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, verified);
    return verified.subject;
  }

  private verifyInFull(token: string): { subject: TokenSubject; exp: number } | undefined {
    try {
      const decoded = jwt.decode(token, { complete: true });
      const key = typeof decoded?.header.kid === 'string' ? this.keys.get(decoded.header.kid) : undefined;
      if (!key) return undefined;
      const payload = jwt.verify(token, key, { algorithms: ['ES256'], issuer: TOKEN_ISSUER, audience: this.audience });
      if (typeof payload !== 'object' || payload === null) return undefined;
      const { sub, role, sid, exp } = payload as { sub?: unknown; role?: unknown; sid?: unknown; exp?: unknown };
      if (typeof exp !== 'number') return undefined;
      if (sid !== undefined && typeof sid !== 'string') return undefined;
      if (sub === undefined && role === undefined) return { subject: { sessionId: sid }, exp };
      if (typeof sub !== 'string' || !USER_ROLES.includes(role as UserRole)) return undefined;
      return { subject: { actor: { id: sub, role: role as UserRole }, sessionId: sid }, exp };
    } catch {
      return undefined;
    }
  }
}
