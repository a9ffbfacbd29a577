import { env, Reader } from './env';

/** RFC 7518 §3.2: an HS256 key must have at least 256 bits; one character counts as at least one byte. */
export const JWT_SECRET_MIN_LENGTH = 32;

/**
 * JWT_SECRET (or JWT_SECRET_FILE): the HS256 secret api-gateway signs with and audit-service verifies with.
 * Required in every profile, with no default: a per-app default would differ between the two apps and
 * every token would be rejected without a word. At least {@link JWT_SECRET_MIN_LENGTH} characters.
 */
export function jwtSecretSpec(): Reader<string> {
  const secret = env.string('JWT_SECRET');
  return (source, problems) => {
    const value = secret(source, problems);
    if (value !== undefined && value.length < JWT_SECRET_MIN_LENGTH) {
      problems.push(`JWT_SECRET: must be at least ${JWT_SECRET_MIN_LENGTH} characters`);
    }
    return value;
  };
}
