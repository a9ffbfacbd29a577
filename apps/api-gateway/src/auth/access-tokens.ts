import { UserRole } from '@taskflow/contracts';
import { ACCESS_TOKEN_AUDIENCE, JwtSigner, JwtVerifier } from '@taskflow/nest-kit';

export interface AccessClaims {
  sub: string;
  role: UserRole;
  sid: string;
}

/**
 * The access tokens the gateway issues: ES256 with its private key (`kid` in the header), verified with the
 * public keys of JWT_PUBLIC_KEYS (the current and, during a rotation, the previous key), audience
 * `taskflow-api`. audit-service verifies the same tokens with the same public keys and JwtVerifier.
 */
export class AccessTokens {
  constructor(
    private readonly signer: JwtSigner,
    private readonly verifier: JwtVerifier,
    readonly ttlSeconds: number,
  ) {}

  sign(claims: AccessClaims): string {
    return this.signer.sign(
      { actor: { id: claims.sub, role: claims.role }, sessionId: claims.sid },
      ACCESS_TOKEN_AUDIENCE,
      this.ttlSeconds,
    );
  }

  /** The claims of a valid access token (user and session present), else undefined. */
  verify(token: string): AccessClaims | undefined {
    const subject = this.verifier.verify(token);
    if (!subject?.actor || !subject.sessionId) return undefined;
    return { sub: subject.actor.id, role: subject.actor.role, sid: subject.sessionId };
  }
}
