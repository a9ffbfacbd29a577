/**
 * The one codec of every paginated list's keyset cursor: the position just after a page's last item (its sort
 * key and a tie-breaking id), written as base64url JSON and opaque to clients. Each list says how its position
 * reads and writes as JSON; `decode` answers `undefined` for anything `encode` did not produce (not base64url,
 * not JSON, the wrong shape, over `MAX_CURSOR_LENGTH`), so each list refuses it with its own 400 naming `cursor`.
 */
export interface KeysetCursor<T> {
  encode(position: T): string;
  decode(raw: string): T | undefined;
}

/** Longest cursor text accepted, in characters; no list's position comes near it. */
export const MAX_CURSOR_LENGTH = 2048;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function keysetCursor<T>(json: {
  write(position: T): unknown;
  /** The position, or `undefined` when `value` is not one this list wrote. */
  read(value: unknown): T | undefined;
}): KeysetCursor<T> {
  return {
    encode: (position) => Buffer.from(JSON.stringify(json.write(position))).toString('base64url'),
    decode: (raw) => {
      if (raw.length > MAX_CURSOR_LENGTH || !BASE64URL.test(raw)) return undefined;
      try {
        return json.read(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
      } catch {
        return undefined;
      }
    },
  };
}
