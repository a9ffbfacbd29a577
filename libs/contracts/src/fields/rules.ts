import 'reflect-metadata';
import { Transform } from 'class-transformer';
import { ApiProperty } from '@nestjs/swagger';
import { IsIn, isUUID, ValidateBy, ValidateIf, ValidationOptions } from 'class-validator';

/**
 * The value rules every boundary applies (gateway DTOs, RPC requests, event payloads), each written once.
 * They parse what PostgreSQL and MongoDB will store, so the database never judges a request: PostgreSQL
 * rejects NUL in text, counts `varchar(n)` in code points and reads date-times its own way.
 */

/** Largest PostgreSQL `integer` (int4). */
export const INT4_MAX = 2_147_483_647;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string is not storable text, or `undefined` when it is. */
export function textProblem(value: unknown, limits: { min?: number; max: number }): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.includes('\u0000')) return 'must not contain NUL (U+0000)';
  if (LONE_SURROGATE.test(value)) return 'must not contain a lone surrogate (not valid Unicode)';
  const length = codePointLength(value);
  if (length < (limits.min ?? 0)) return `must be at least ${limits.min} character(s) long`;
  if (length > limits.max) return `must be at most ${limits.max} characters (Unicode code points) long`;
  return undefined;
}

/** Length in Unicode code points, the unit of PostgreSQL's `varchar(n)` (a UTF-16 `length` counts astral characters twice). */
export function codePointLength(value: string): number {
  let length = 0;
  for (const _ of value) length += 1;
  return length;
}

/**
 * Text as PostgreSQL stores it: a string of `min`..`max` code points (varchar(n) counts code points), no NUL
 * (PostgreSQL refuses U+0000 in text and jsonb), no lone surrogate (not encodable in UTF-8).
 */
export function IsText(limits: { min?: number; max: number }, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isText',
      constraints: [limits],
      validator: {
        validate: (value) => textProblem(value, limits) === undefined,
        defaultMessage: (args) => `${args?.property} ${textProblem(args?.value, limits)}`,
      },
    },
    options,
  );
}

/**
 * A character that shows on its own: not white space (`\s`: every Unicode White_Space character, tabs, U+3000 and
 * U+FEFF included), not a default-ignorable one (zero-width space and joiners, variation selectors, the Hangul
 * filler), not a control or format character, not a mark (a combining accent needs a base), not unassigned or a
 * noncharacter (U+FFFF, U+1FFFE), not private use (no standard glyph), not the blank braille pattern U+2800.
 */
const VISIBLE = /[^\s\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}\p{M}\p{Cn}\p{Co}\u2800]/u;

/**
 * Human-readable text that must say something: at least one visible character (see VISIBLE). A title of
 * `"   "` or of U+3000 is refused with 400 naming the field — never trimmed into something else. Only strings
 * are judged here; what is not text, or empty, is IsText's to report.
 */
export function HasVisibleCharacter(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'hasVisibleCharacter',
      validator: {
        // Empty text is IsText's `min` to report: one error per problem.
        validate: (value) => typeof value !== 'string' || value === '' || VISIBLE.test(value),
        defaultMessage: (args) => `${args?.property} must contain a visible character, not only white space`,
      },
    },
    options,
  );
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** How the accepted form is described in messages and in the OpenAPI document (one wording). */
export const DATE_TIME_TEXT =
  'RFC 3339 date-time with an offset, e.g. 2030-01-31T09:30:00Z (T and Z in either case, ' +
  'no finer than milliseconds, on a date that exists, no leap second); answered in UTC as 2030-01-31T09:30:00.000Z';

const NOT_A_DATE_TIME =
  'must be an RFC 3339 date-time with an offset, e.g. 2030-01-31T09:30:00Z (no finer than milliseconds, on a date that exists)';
/**
 * RFC 3339 §5.7 allows second 60 (a leap second), but an instant cannot hold one: JavaScript's `Date` and
 * PostgreSQL's `timestamptz` both count no leap seconds and would store 23:59:60 as 00:00:00 of the next day,
 * a different instant than the one sent. So it is refused, with this reason.
 */
/** The instants every store reads back as written: years 0001-9999 in UTC (an offset can cross either end). */
const FIRST_INSTANT = new Date(Date.UTC(2000, 0, 1)).setUTCFullYear(1);
const LAST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const OUT_OF_RANGE =
  'must name an instant from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z once its offset is applied ' +
  '(a four-digit year in UTC, as PostgreSQL and the event store keep it)';
const LEAP_SECOND =
  'must not be a leap second (second 60): RFC 3339 allows one, but an instant cannot hold it ' +
  '(JavaScript and PostgreSQL would store the next minute)';

/**
 * Reads an RFC 3339 date-time with an explicit offset (`Z` or `±hh:mm`) and at most millisecond precision —
 * the only form JavaScript and PostgreSQL read as the same instant. `T` and `Z` may be lower-case (RFC 3339
 * §5.6 NOTE). Every other ISO 8601 form (no offset: the server's zone decides; week or ordinal dates;
 * `10:16.000`, which PostgreSQL reads as 00:10:16; more than three fraction digits, which JavaScript
 * truncates) is refused, and so is a date that does not exist (30 February: `Date` would roll it over to
 * 2 March) and a leap second (see LEAP_SECOND). Years 0001-9999, also in UTC: `9999-12-31T23:59:59-01:00` is
 * year 10000 once its offset is applied, which `toISOString` writes as `+010000-…` and PostgreSQL refuses.
 * Returns the instant, or why not.
 */
function readDateTime(value: unknown): { instant: Date } | { problem: string } {
  const match = typeof value === 'string' ? RFC3339.exec(value) : null;
  if (!match) return { problem: NOT_A_DATE_TIME };
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const millis = Number((match[7] ?? '').padEnd(3, '0'));
  const [sign, offsetHours, offsetMinutes] = [match[8], Number(match[9] ?? 0), Number(match[10] ?? 0)];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return { problem: NOT_A_DATE_TIME };
  }
  if (second === 60 && hour <= 23 && minute <= 59) return { problem: LEAP_SECOND };
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) {
    return { problem: NOT_A_DATE_TIME };
  }
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear puts them back.
  const fixed = new Date(local);
  fixed.setUTCFullYear(year);
  const offset = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  const instant = fixed.getTime() - offset;
  if (instant < FIRST_INSTANT || instant > LAST_INSTANT) return { problem: OUT_OF_RANGE };
  return { instant: new Date(instant) };
}

/** The instant of an RFC 3339 date-time as `readDateTime` accepts it, or `undefined`. */
export function parseDateTime(value: unknown): Date | undefined {
  const read = readDateTime(value);
  return 'instant' in read ? read.instant : undefined;
}

/** Why `value` is not an accepted date-time (a reason to follow the field's name), or `undefined` when it is. */
export function dateTimeProblem(value: unknown): string | undefined {
  const read = readDateTime(value);
  return 'problem' in read ? read.problem : undefined;
}

/**
 * The ISO 8601 UTC form (`toISOString`) of a date-time that passed `IsDateTime`: what the services bind, so
 * PostgreSQL reads the instant the app parsed, not its own reading of the client's text. Throws on invalid input.
 */
export function toInstant(value: string): string {
  const instant = parseDateTime(value);
  if (!instant) throw new TypeError(`not an RFC 3339 date-time: ${JSON.stringify(value)}`);
  return instant.toISOString();
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** An RFC 3339 date-time with explicit offset, see `parseDateTime`. */
export function IsDateTime(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDateTime',
      validator: {
        validate: (value) => parseDateTime(value) !== undefined,
        defaultMessage: (args) => `${args?.property} ${dateTimeProblem(args?.value)}`,
      },
    },
    options,
  );
}

/** A safe integer in `min`..`max` (a JSON number; a query string goes through `DecimalInt` first). */
export function IsIntIn(range: { min: number; max: number }, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIntIn',
      constraints: [range],
      validator: {
        validate: (value) =>
          typeof value === 'number' && Number.isSafeInteger(value) && value >= range.min && value <= range.max,
        defaultMessage: (args) => `${args?.property} must be an integer from ${range.min} to ${range.max}`,
      },
    },
    options,
  );
}

/**
 * Reads a query-string integer written in decimal digits only; anything else (`0x10`, `1e1`, `1.0`, ` 5`, ``)
 * stays a string and fails `IsIntIn`, where `Number()` would have read it as some number.
 */
export function DecimalInt(): PropertyDecorator {
  return Transform(({ value }) => (typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value));
}

/** A UUID (any version), compared and stored lower-case so that one id has one spelling. */
export function IsCanonicalUuid(options?: ValidationOptions): PropertyDecorator {
  return compose(
    Transform(({ value }) => canonicalUuid(value)),
    ValidateBy(
      {
        name: 'isUuid',
        validator: { validate: (value) => isUUID(value), defaultMessage: (a) => `${a?.property} must be a UUID` },
      },
      options,
    ),
  );
}

/** The lower-case spelling of a UUID string; other values unchanged. */
export function canonicalUuid<T>(value: T): T {
  return (typeof value === 'string' && isUUID(value) ? value.toLowerCase() : value) as T;
}

/**
 * Presence of a field: `required` or `optional` (absent = keep), and `nullable` only where the column is
 * (null = clear). class-validator's `@IsOptional` lets `null` through to a NOT NULL column; this does not.
 */
export function Presence(presence: 'required' | 'optional', nullable: boolean): PropertyDecorator {
  return compose(
    ValidateIf((_, value) => !(value === undefined && presence === 'optional') && !(value === null && nullable)),
    ValidateBy({
      name: 'presence',
      validator: {
        validate: (value) => value !== undefined && value !== null,
        defaultMessage: (args) =>
          args?.value === null ? `${args.property} must not be null` : `${args?.property} is required`,
      },
    }),
  );
}

/** Applies several property decorators as one. */
export function compose(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
}

/**
 * The OpenAPI schema a value rule implies (OpenAPI 3.0 Schema Object keywords). It travels with the rule, so
 * the published document states exactly what the check enforces: lengths in code points, formats, ranges.
 */
export interface FieldSchema {
  type?: 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  enum?: readonly string[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  description?: string;
}

/** A value rule and the schema it implies, written together. */
export interface DocumentedRule {
  decorate(): PropertyDecorator;
  schema: FieldSchema;
}

type Rule = () => PropertyDecorator;

/**
 * A rule that new input must meet but a value already stored need not: the row was accepted before the rule
 * existed, and an event version's snapshot of it must stay valid (a v1 payload's rules never tighten).
 */
export interface InputRule {
  readonly input: Rule;
}

/**
 * A value rule: documented (with the schema it implies), input-only, or a plain decorator factory, which documents
 * nothing (its class documents the property).
 */
export type ValueRule = DocumentedRule | InputRule | Rule;

/** Text of `min`..`max` code points (`IsText`); `description` says what the text is. */
export function text(limits: { min?: number; max: number }, description?: string): DocumentedRule {
  return {
    decorate: () => IsText(limits),
    schema: {
      type: 'string',
      ...(limits.min ? { minLength: limits.min } : {}),
      ...(Number.isFinite(limits.max) ? { maxLength: limits.max } : {}),
      description: [description, 'Length in Unicode code points.'].filter(Boolean).join(' '),
    },
  };
}

/** One of `values` (class-validator `IsIn`). */
export function oneOf(values: readonly string[]): DocumentedRule {
  return { decorate: () => IsIn([...values]), schema: { type: 'string', enum: values } };
}

/** An integer in `min`..`max` (`IsIntIn`). */
export function intIn(range: { min: number; max: number }): DocumentedRule {
  return { decorate: () => IsIntIn(range), schema: { type: 'integer', minimum: range.min, maximum: range.max } };
}

/** A query-string integer in decimal digits (`DecimalInt`), then in `min`..`max`. */
export function decimalIntIn(range: { min: number; max: number }): DocumentedRule {
  return {
    decorate: () => compose(DecimalInt(), IsIntIn(range)),
    schema: { ...intIn(range).schema, description: 'Decimal digits.' },
  };
}

/** A UUID, canonical lower-case (`IsCanonicalUuid`). */
export const uuid: DocumentedRule = { decorate: IsCanonicalUuid, schema: { type: 'string', format: 'uuid' } };

/** An RFC 3339 date-time with an explicit offset (`IsDateTime`). */
export const dateTime: DocumentedRule = {
  decorate: IsDateTime,
  schema: { type: 'string', format: 'date-time', description: `${DATE_TIME_TEXT}.` },
};

/**
 * One field's rules and nullability; `.required()` / `.optional()` apply them with the usage's presence (every
 * rule: a request), `.stored()` a stored value's (no InputRule: an event snapshot of a row).
 */
export interface FieldRule {
  readonly nullable: boolean;
  /** The OpenAPI schema of the field's documented rules (with `nullable`); `undefined` when none documents it. */
  readonly schema?: FieldSchema & { nullable?: true };
  required(): PropertyDecorator;
  optional(): PropertyDecorator;
  stored(): PropertyDecorator;
}

/**
 * A field: its nullability and value rules. `.required()` / `.optional()` decorate a property with the
 * presence rule, the value rules and, when a rule is documented, the matching OpenAPI property, so a class that
 * declares the field is validated and documented from this one definition; `.stored()` leaves out input rules.
 */
export function defineField(nullable: boolean, ...rules: ValueRule[]): FieldRule {
  const documented = rules.filter((rule): rule is DocumentedRule => 'schema' in rule);
  const schema = documented.length
    ? mergeSchemas(
        documented.map((rule) => rule.schema),
        nullable,
      )
    : undefined;
  const decoratorOf = (rule: ValueRule): Rule =>
    typeof rule === 'function' ? rule : 'decorate' in rule ? rule.decorate : rule.input;
  const input = rules.map(decoratorOf);
  const stored = rules.filter((rule) => !('input' in rule)).map(decoratorOf);
  const apply = (presence: 'required' | 'optional', applied: Rule[]) =>
    compose(
      Presence(presence, nullable),
      ...applied.map((rule) => rule()),
      ...(schema
        ? [ApiProperty({ ...schema, enum: schema.enum && [...schema.enum], required: presence === 'required' })]
        : []),
    );
  return {
    nullable,
    schema,
    required: () => apply('required', input),
    optional: () => apply('optional', input),
    stored: () => apply('required', stored),
  };
}

function mergeSchemas(schemas: FieldSchema[], nullable: boolean): FieldSchema & { nullable?: true } {
  const descriptions = schemas.map((schema) => schema.description).filter(Boolean);
  return {
    ...Object.assign({}, ...schemas),
    ...(descriptions.length ? { description: descriptions.join(' ') } : {}),
    ...(nullable ? { nullable: true as const } : {}),
  };
}
