import { createSecretKey, KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { USER_ROLES, UserRole } from '@taskflow/contracts';

export interface AccessClaims {
  sub: string;
  role: UserRole;
  sid: string;
}

/**
 * HS256 access tokens. The secret is a KeyObject built once: jsonwebtoken with a string secret
 * re-imports the key on every call and is ~50x slower. Algorithms are pinned, so `alg: none` or
 * any other algorithm fails verification.
 */
export class AccessTokens {
  private readonly key: KeyObject;

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
    try {
      const payload = jwt.verify(token, this.key, { algorithms: ['HS256'] });
      if (typeof payload !== 'object' || payload === null) return undefined;
      const { sub, role, sid } = payload as Partial<AccessClaims>;
      if (typeof sub !== 'string' || typeof sid !== 'string' || !USER_ROLES.includes(role as UserRole))
        return undefined;
      return { sub, role: role as UserRole, sid };
    } catch {
      return undefined;
    }
  }
}
