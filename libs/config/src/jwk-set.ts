/** One key of a JWK Set, with the `kid` every TaskFlow key set requires. */
export type JwkEntry = Record<string, unknown> & { kid: string };

/**
 * The keys of a JWK Set document (RFC 7517 §5): `{"keys": [...]}` with at least one key, each an object with a
 * non-empty `kid` (§4.5) that no other key of the set has. Throws an Error saying what is wrong and never quoting
 * the text (JSON.parse's own message quotes it: key material in a configuration error).
 */
export function jwkSetEntries(raw: string): JwkEntry[] {
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
    kids.add(kid);
    return jwk as JwkEntry;
  });
}
