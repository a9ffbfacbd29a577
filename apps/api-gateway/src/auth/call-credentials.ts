import { RpcContext } from '@taskflow/contracts';
import { JwtSigner } from '@taskflow/nest-kit';

/** Lifetime of a per-call credential; one is reused for at most half of it. */
const CREDENTIAL_TTL_SECONDS = 60;
const REUSE_MS = (CREDENTIAL_TTL_SECONDS * 1000) / 2;
/** Credentials remembered; beyond this the oldest is forgotten. */
const CACHE_MAX = 10_000;

/**
 * Mints the credential every RPC call carries: an ES256 token for one service (`aud`) naming the actor and
 * session the gateway verified (or nobody, for register/authenticate). The services derive the actor from it
 * alone, so a raw client on their ports cannot claim an identity. A token is reused for the same actor, role,
 * session and service for half its lifetime: one signature per user per 30 s instead of one per call.
 */
export class CallCredentials {
  private readonly cache = new Map<string, { token: string; until: number }>();

  constructor(private readonly signer: JwtSigner) {}

  /** The compact JWS for a call to `audience` (a RPC_AUDIENCE value) in `context`. */
  for(audience: string, context: RpcContext): string {
    const key = `${audience}|${context.actor?.id ?? ''}|${context.actor?.role ?? ''}|${context.sessionId ?? ''}`;
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached && now < cached.until) return cached.token;
    const token = this.signer.sign(
      { actor: context.actor, sessionId: context.sessionId },
      audience,
      CREDENTIAL_TTL_SECONDS,
    );
    this.cache.delete(key);
    if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { token, until: now + REUSE_MS });
    return token;
  }
}
