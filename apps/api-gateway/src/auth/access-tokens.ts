import { createSecretKey, KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { USER_ROLES, UserRole } from '@taskflow/contracts';

export interface AccessClaims {
  sub: string;
  role: UserRole;
  sid: string;
}

/** Verified tokens remembered; beyond this the oldest is forgotten (~0.5 KB each). */
const VERIFIED_MAX = 10_000;

/**
 * HS256 access tokens. The secret is a KeyObject built once: jsonwebtoken with a string secret
 * re-imports the key on every call and is ~50x slower. Algorithms are pinned, so `alg: none` or
 * any other algorithm fails verification.
 *
 * A client sends the same token on every request until it expires, so a token that verified once
 * is remembered (by its exact string) until its `exp`: a Map lookup instead of base64, JSON and
 * HMAC work on every request. Only tokens that passed verification are stored; a changed byte is
 * another string and is verified in full.
 */
export class AccessTokens {
  private readonly key: KeyObject;
  private readonly verified = new Map<string, { claims: AccessClaims; exp: number }>();

  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  sign(claims: AccessClaims): string {
    return jwt.sign(claims, this.key, { algorithm: 'HS256', expiresIn: this.ttlSeconds });
  }

  /** The claims of a valid token, else undefined (bad signature, wrong alg, expired, malformed). */
  verify(token: string): AccessClaims | undefined {
    const now = Math.floor(Date.now() / 1000);
    const known = this.verified.get(token);
    if (known) {
      if (now < known.exp) return known.claims; // jsonwebtoken's rule: expired once now >= exp
      this.verified.delete(token);
      return undefined;
    }
    const verified = this.verifyInFull(token);
    if (!verified) return undefined;
    if (this.verified.size >= VERIFIED_MAX) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, verified);
    return verified.claims;
  }

  private verifyInFull(token: string): { claims: AccessClaims; exp: number } | undefined {
    try {
      const payload = jwt.verify(token, this.key, { algorithms: ['HS256'] });
      if (typeof payload !== 'object' || payload === null) return undefined;
      const { sub, role, sid, exp } = payload as Partial<AccessClaims> & { exp?: number };
      if (typeof sub !== 'string' || typeof sid !== 'string' || !USER_ROLES.includes(role as UserRole))
        return undefined;
      if (typeof exp !== 'number') return undefined; // every token we sign expires
      return { claims: { sub, role: role as UserRole, sid }, exp };
    } catch {
      return undefined;
    }
  }
}
