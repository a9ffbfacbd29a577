import { isEmail, isURL, ValidateBy } from 'class-validator';
import { USER_ROLES } from '../rules/roles';
import { dateTime, defineField, oneOf, text, textProblem, uuid } from './rules';

/**
 * A format check of validator.js on text that passed `IsText` only: validator.js throws a URIError on a lone
 * surrogate (`isEmail` calls `encodeURI`), which would be a 500 instead of a 400.
 */
function IsTextFormat(name: string, test: (value: string) => boolean, description: string): PropertyDecorator {
  return ValidateBy({
    name,
    validator: {
      validate: (value) => textProblem(value, { max: Infinity }) !== undefined || test(value as string),
      defaultMessage: (args) => `${args?.property} must be ${description}`,
    },
  });
}

/** Longest accepted password, in UTF-8 bytes as well as characters: bcrypt ignores everything after 72 bytes. */
export const PASSWORD_MAX_LENGTH = 72;

/** At most `bytes` bytes in UTF-8: 20 emoji are 20 characters but 80 bytes, and bcrypt would use only 72. */
function IsUtf8Within(bytes: number): PropertyDecorator {
  return ValidateBy({
    name: 'isUtf8Within',
    validator: {
      // Only text within the character limit is measured: a longer one already has its one error.
      validate: (value) =>
        typeof value !== 'string' || [...value].length > bytes || Buffer.byteLength(value, 'utf8') <= bytes,
      defaultMessage: (args) => `${args?.property} must be at most ${bytes} bytes in UTF-8`,
    },
  });
}
export const PASSWORD_MIN_LENGTH = 8;

/**
 * Each user field once, as `users` holds it (seed 001): `email varchar(255)`, the profile's keys in the
 * `profile` jsonb (which refuses NUL like text does; `null` in an update removes a key).
 */
export const UserFields = {
  id: defineField(false, uuid),
  /**
   * ASCII only (an international domain in its `xn--` form): Unicode lets two different strings look like one
   * address (`ａdmin@…` in full-width letters, `ad\u200bmin@…`, `ü` composed or not), so a second account could
   * pass for the first. Compared case-insensitively (`normalizeEmail`).
   */
  email: defineField(false, text({ min: 1, max: 255 }), {
    decorate: () =>
      IsTextFormat(
        'isEmail',
        (value) => /^[\x21-\x7e]+$/.test(value) && isEmail(value, { allow_utf8_local_part: false }),
        'an email address in ASCII (an international domain in its xn-- form)',
      ),
    schema: { format: 'email', description: 'ASCII; an international domain in its xn-- form.' },
  }),
  /** No NUL: bcrypt reads a C string and would ignore everything after it. */
  password: defineField(false, text({ min: PASSWORD_MIN_LENGTH, max: PASSWORD_MAX_LENGTH }), {
    decorate: () => IsUtf8Within(PASSWORD_MAX_LENGTH),
    schema: { format: 'password', description: `At most ${PASSWORD_MAX_LENGTH} bytes in UTF-8.` },
  }),
  role: defineField(false, oneOf(USER_ROLES)),
  firstName: defineField(true, text({ max: 100 })),
  lastName: defineField(true, text({ max: 100 })),
  avatarUrl: defineField(true, text({ max: 2048 }), {
    decorate: () =>
      IsTextFormat(
        'isUrl',
        (value) => isURL(value, { protocols: ['http', 'https'], require_protocol: true, disallow_auth: true }),
        'an absolute http(s) URL without credentials',
      ),
    schema: { format: 'uri', description: 'Absolute http(s) URL, no user:password@.' },
  }),
  timezone: defineField(true, text({ max: 64 }), {
    decorate: () =>
      IsTextFormat('isTimeZone', isIanaTimeZone, 'an IANA time zone name as spelt there, e.g. Europe/Berlin'),
    schema: { description: 'IANA time zone name as spelt there, e.g. Europe/Berlin.' },
  }),
  bio: defineField(true, text({ max: 1000 })),
  createdAt: defineField(false, dateTime),
  updatedAt: defineField(false, dateTime),
} as const;

/** The runtime's canonical zone names (ICU), and the same in lower case, to refuse a known name spelt otherwise. */
let canonicalZones: { exact: Set<string>; lower: Set<string> } | undefined;

/**
 * An IANA time zone name the runtime's time zone database (ICU) knows, spelt as there: `Europe/Berlin`, `UTC`,
 * `Asia/Kolkata` (an alias); not `europe/berlin` (ICU would take it and answer another spelling) nor `Mars/Base`.
 */
export function isIanaTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    return false;
  }
  if (!canonicalZones) {
    const exact = new Set(Intl.supportedValuesOf('timeZone'));
    canonicalZones = { exact, lower: new Set([...exact].map((zone) => zone.toLowerCase())) };
  }
  return canonicalZones.exact.has(value) || !canonicalZones.lower.has(value.toLowerCase());
}
