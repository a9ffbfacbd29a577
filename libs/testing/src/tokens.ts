import {
  FieldEncryptionKeys,
  fieldEncryptionKeysSpec,
  loadConfig,
  signingKeySpec,
  verificationKeysSpec,
} from '@taskflow/config';
import { UserRole } from '@taskflow/contracts';
import { ACCESS_TOKEN_AUDIENCE, JwtSigner, JwtVerifier } from '@taskflow/nest-kit';

/** The token key variables of this test run (set once by the Jest global setup), for apps started in-process. */
export function signingKeyEnv(): { JWT_PRIVATE_KEY: string; JWT_PRIVATE_KEY_ID: string; JWT_PUBLIC_KEYS: string } {
  const { JWT_PRIVATE_KEY, JWT_PRIVATE_KEY_ID, JWT_PUBLIC_KEYS } = process.env;
  if (!JWT_PRIVATE_KEY || !JWT_PRIVATE_KEY_ID || !JWT_PUBLIC_KEYS) {
    throw new Error('JWT_PRIVATE_KEY/JWT_PUBLIC_KEYS are not set: run tests through jest (libs/testing global setup)');
  }
  return { JWT_PRIVATE_KEY, JWT_PRIVATE_KEY_ID, JWT_PUBLIC_KEYS };
}

let signer: JwtSigner | undefined;

/** A signer with this run's key: what the gateway would sign. Tests use it to call services as the gateway does. */
function testSigner(): JwtSigner {
  signer ??= new JwtSigner(
    loadConfig({ key: signingKeySpec('JWT_PRIVATE_KEY'), keys: verificationKeysSpec('JWT_PUBLIC_KEYS') }, process.env)
      .key,
  );
  return signer;
}

/** An RPC credential for `audience` (RPC_AUDIENCE) as the gateway mints it: the actor, or nobody (anonymous). */
export function callCredential(
  audience: string,
  actor?: { id: string; role: UserRole },
  sessionId?: string,
  ttlSeconds = 600,
): string {
  return testSigner().sign({ actor, sessionId }, audience, ttlSeconds);
}

/** An access token as the gateway issues it (audience `taskflow-api`). */
export function accessToken(actor: { id: string; role: UserRole }, sessionId: string, ttlSeconds = 600): string {
  return testSigner().sign({ actor, sessionId }, ACCESS_TOKEN_AUDIENCE, ttlSeconds);
}

/** The verifier a service builds from this run's JWT_PUBLIC_KEYS, for services started in-process. */
export function callerVerifier(audience: string): JwtVerifier {
  return new JwtVerifier(loadConfig({ keys: verificationKeysSpec('JWT_PUBLIC_KEYS') }, process.env).keys, audience);
}

/** This run's email-encryption keys (PII_*, set once by the Jest global setup), for user-service started in-process. */
export function fieldEncryptionKeys(): FieldEncryptionKeys {
  return loadConfig({ keys: fieldEncryptionKeysSpec() }, process.env).keys;
}
