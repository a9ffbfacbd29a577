import { isUtf8 } from 'node:buffer';
import { CommonErrorCodes, FieldError } from '@taskflow/contracts';
import { AppError } from './errors';

/**
 * Text that arrives as bytes must be UTF-8 (RFC 8259 §8.1 for JSON; RFC 3986 §2.5 for percent-encoded URL
 * components). The decoders would replace each invalid sequence with U+FFFD and pass on text the client never
 * sent (`?q=%C3%28` searched for "\uFFFD("); these checks refuse it instead: 400 `REQUEST.INVALID_ENCODING`.
 */
export const INVALID_ENCODING = CommonErrorCodes.invalidEncoding;

/** The error for a JSON body that is not UTF-8. */
export function invalidBodyEncoding(): AppError {
  return new AppError('validation', INVALID_ENCODING, 'The request body is not valid UTF-8 (RFC 8259 §8.1).');
}

/**
 * Checks a raw request target (`/path?query`, as the client sent it, before any decoding): the path and each
 * query parameter's name and value must be UTF-8 once percent-decoded. Returns the error naming each bad part
 * (`path`, or the parameter as sent), or `undefined` when all are. A `%` not followed by two hex digits is
 * left to the router and the query parser, which read it as they always did.
 */
export function urlEncodingError(url: string): AppError | undefined {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const problems: FieldError[] = [];
  if (!isUtf8(percentDecoded(path)))
    problems.push({ field: 'path', reason: 'is not valid UTF-8 once percent-decoded' });
  if (queryAt !== -1) {
    for (const pair of url.slice(queryAt + 1).split('&')) {
      const [name, ...value] = pair.split('=');
      const bad = !isUtf8(percentDecoded(name)) || !isUtf8(percentDecoded(value.join('=')));
      if (bad) problems.push({ field: name, reason: 'is not valid UTF-8 once percent-decoded' });
    }
  }
  if (problems.length === 0) return undefined;
  return new AppError(
    'validation',
    INVALID_ENCODING,
    'The request URL is not valid UTF-8 once percent-decoded.',
    problems,
  );
}

/** The bytes a URL component stands for: `%XX` escapes as their byte, any other character as its UTF-8. */
function percentDecoded(component: string): Buffer {
  const bytes: Buffer[] = [];
  let plain = '';
  for (let i = 0; i < component.length; i++) {
    const escape = component[i] === '%' ? /^[0-9A-Fa-f]{2}$/.exec(component.slice(i + 1, i + 3)) : null;
    if (escape) {
      bytes.push(Buffer.from(plain, 'utf8'), Buffer.from([parseInt(escape[0], 16)]));
      plain = '';
      i += 2;
    } else plain += component[i];
  }
  bytes.push(Buffer.from(plain, 'utf8'));
  return Buffer.concat(bytes);
}
