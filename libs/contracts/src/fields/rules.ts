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

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 date-time with an explicit offset (`Z` or `±hh:mm`) and at most millisecond precision —
 * the only form JavaScript and PostgreSQL read as the same instant. Every other ISO 8601 form (no offset: the
 * server's zone decides; week or ordinal dates; `10:16.000`, which PostgreSQL reads as 00:10:16; more than
 * three fraction digits, which JavaScript truncates) is refused, and so is a date that does not exist
 * (30 February: `Date` would roll it over to 2 March). Years 0001-9999. Returns the instant or `undefined`.
 */
export function parseDateTime(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const match = RFC3339.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const millis = Number((match[7] ?? '').padEnd(3, '0'));
  const [sign, offsetHours, offsetMinutes] = [match[8], Number(match[9] ?? 0), Number(match[10] ?? 0)];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear puts them back.
  const fixed = new Date(local);
  fixed.setUTCFullYear(year);
  const offset = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  return new Date(fixed.getTime() - offset);
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
        defaultMessage: (args) =>
          `${args?.property} must be an RFC 3339 date-time with an offset, e.g. 2030-01-31T09:30:00Z ` +
          '(no finer than milliseconds, on a date that exists)',
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

/** A rule without a schema (a plain decorator factory) documents nothing: its class documents the property. */
export type ValueRule = DocumentedRule | (() => PropertyDecorator);

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
  schema: {
    type: 'string',
    format: 'date-time',
    description: 'RFC 3339 date-time with an offset, e.g. 2030-01-31T09:30:00Z.',
  },
};

/** One field's rules and nullability; `.required()` / `.optional()` apply them with the usage's presence. */
export interface FieldRule {
  readonly nullable: boolean;
  /** The OpenAPI schema of the field's documented rules (with `nullable`); `undefined` when none documents it. */
  readonly schema?: FieldSchema & { nullable?: true };
  required(): PropertyDecorator;
  optional(): PropertyDecorator;
}

/**
 * A field: its nullability and value rules. `.required()` / `.optional()` decorate a property with the
 * presence rule, the value rules and, when a rule is documented, the matching OpenAPI property, so a class that
 * declares the field is validated and documented from this one definition.
 */
export function defineField(nullable: boolean, ...rules: ValueRule[]): FieldRule {
  const documented = rules.filter((rule): rule is DocumentedRule => typeof rule !== 'function');
  const schema = documented.length
    ? mergeSchemas(
        documented.map((rule) => rule.schema),
        nullable,
      )
    : undefined;
  const decorators = () => rules.map((rule) => (typeof rule === 'function' ? rule() : rule.decorate()));
  const apply = (presence: 'required' | 'optional') =>
    compose(
      Presence(presence, nullable),
      ...decorators(),
      ...(schema
        ? [ApiProperty({ ...schema, enum: schema.enum && [...schema.enum], required: presence === 'required' })]
        : []),
    );
  return { nullable, schema, required: () => apply('required'), optional: () => apply('optional') };
}

function mergeSchemas(schemas: FieldSchema[], nullable: boolean): FieldSchema & { nullable?: true } {
  const descriptions = schemas.map((schema) => schema.description).filter(Boolean);
  return {
    ...Object.assign({}, ...schemas),
    ...(descriptions.length ? { description: descriptions.join(' ') } : {}),
    ...(nullable ? { nullable: true as const } : {}),
  };
}
