/** One key of a JWK Set, with the `kid` every TaskFlow key set requires. */
export type JwkEntry = Record<string, unknown> & { kid: string };

/** The members that carry private or secret key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1; OKP `d`, RFC 8037). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * The keys of a JWK Set document (RFC 7517 §5): `{"keys": [...]}` with at least one key, each an object with a
 * non-empty `kid` (§4.5) that no other key of the set has. With `publicOnly`, a key holding private material (`d`,
 * …) is refused: a verification set is handed to every verifier, and a private key in it would be too. Throws an
 * Error saying what is wrong and never quoting the text (JSON.parse's own message quotes it: key material in a
 * configuration error).
 */
export function jwkSetEntries(raw: string, { publicOnly = false } = {}): JwkEntry[] {
  let document: unknown;
  try {
    document = JSON.parse(raw);
  } catch {
    throw new Error('not JSON');
  }
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error('no keys');
  const kids = new Set<string>();
  return keys.map((jwk: unknown) => {
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new Error('a key is not an object');
    const { kid } = jwk as { kid?: unknown };
    if (typeof kid !== 'string' || !kid) throw new Error('kid missing');
    if (kids.has(kid)) throw new Error(`kid ${kid} appears twice`);
    const secret = publicOnly && PRIVATE_MEMBERS.find((member) => member in jwk);
    if (secret) throw new Error(`key ${kid} holds private key material ("${secret}"): publish the public key only`);
    kids.add(kid);
    return jwk as JwkEntry;
  });
}
