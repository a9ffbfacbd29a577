import { ALL_EVENT_TYPES, ENTITY_TYPES, FieldError, parseDateTime } from '@taskflow/contracts';
import { AppError } from '@taskflow/nest-kit';
import { TIME_BUCKETS, TimeBucket } from '../domain/time-bucket';

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;
/** Most rows one export may be limited to; without `limit` an export streams the whole range. */
export const MAX_EXPORT_LIMIT = 1_000_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Prefixes an analyst may ask for, e.g. `task.` or `system.backup.` (derived from the known types). */
const TYPE_PREFIXES = new Set(
  ALL_EVENT_TYPES.flatMap((type) =>
    type
      .split('.')
      .slice(0, -1)
      .map((_, i, parts) => `${parts.slice(0, i + 1).join('.')}.`),
  ),
);

export interface EventFilter {
  types?: string[];
  typePrefixes?: string[];
  actorId?: string;
  entityId?: string;
  entityType?: string;
  correlationId?: string;
  from?: Date;
  to?: Date;
}

export interface Cursor {
  createdAt: Date;
  eventId: string;
}

export interface PageRequest {
  limit: number;
  cursor?: Cursor;
}

type Query = Record<string, string | string[] | undefined>;

/** Parses the list/export/aggregation query string; every problem is reported as a field error (400). */
export function parseEventFilter(query: Query, allowed: readonly string[] = FILTER_KEYS): EventFilter {
  const problems: FieldError[] = [];
  for (const key of Object.keys(query)) {
    if (!allowed.includes(key)) problems.push({ field: key, reason: 'is not a known parameter' });
  }
  const filter: EventFilter = {};
  const types = list(query.type);
  for (const type of types) {
    if (type.endsWith('.')) {
      if (TYPE_PREFIXES.has(type)) (filter.typePrefixes ??= []).push(type);
      else problems.push({ field: 'type', reason: `unknown type prefix ${type}` });
    } else if ((ALL_EVENT_TYPES as readonly string[]).includes(type)) (filter.types ??= []).push(type);
    else problems.push({ field: 'type', reason: `unknown event type ${type}` });
  }
  filter.actorId = id(query, 'actorId', problems);
  filter.correlationId = id(query, 'correlationId', problems);
  filter.entityId = id(query, 'entityId', problems);
  const entityType = single(query, 'entityType', problems);
  if (entityType !== undefined && !(ENTITY_TYPES as readonly string[]).includes(entityType)) {
    problems.push({ field: 'entityType', reason: `must be one of ${ENTITY_TYPES.join(', ')}` });
  } else filter.entityType = entityType;
  if (filter.entityId !== undefined && filter.entityType === undefined && !problems.some(isField('entityType'))) {
    problems.push({ field: 'entityType', reason: 'is required with entityId' });
  }
  if (
    filter.entityId &&
    (filter.entityType === 'task' || filter.entityType === 'user') &&
    !UUID.test(filter.entityId)
  ) {
    problems.push({ field: 'entityId', reason: `must be a UUID for entityType ${filter.entityType}` });
  }
  filter.from = date(query, 'from', problems);
  filter.to = date(query, 'to', problems);
  if (filter.from && filter.to && filter.from > filter.to) problems.push({ field: 'from', reason: 'is after to' });
  fail(problems);
  return prune(filter);
}

export const FILTER_KEYS = ['type', 'actorId', 'entityId', 'entityType', 'correlationId', 'from', 'to'];
export const PAGE_KEYS = ['limit', 'cursor'];

export function parsePage(query: Query): PageRequest {
  const problems: FieldError[] = [];
  const limit = positiveInt(query, 'limit', MAX_PAGE_SIZE, problems) ?? DEFAULT_PAGE_SIZE;
  const rawCursor = single(query, 'cursor', problems);
  const cursor = rawCursor === undefined ? undefined : decodeCursor(rawCursor);
  if (rawCursor !== undefined && cursor === undefined) problems.push({ field: 'cursor', reason: 'is malformed' });
  fail(problems);
  return { limit, cursor };
}

/** The export's optional `limit`: the newest rows first, 1..MAX_EXPORT_LIMIT; undefined = the whole range. */
export function parseExportLimit(query: Query): number | undefined {
  const problems: FieldError[] = [];
  const limit = positiveInt(query, 'limit', MAX_EXPORT_LIMIT, problems);
  fail(problems);
  return limit;
}

export function parseBucket(query: Query): TimeBucket {
  const problems: FieldError[] = [];
  const bucket = single(query, 'bucket', problems) ?? 'day';
  if (!(TIME_BUCKETS as readonly string[]).includes(bucket)) {
    problems.push({ field: 'bucket', reason: `must be one of ${TIME_BUCKETS.join(', ')}` });
  }
  fail(problems);
  return bucket as TimeBucket;
}

/** Opaque cursor: the sort key (createdAt, eventId) of the last item of the previous page. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.getTime(), cursor.eventId])).toString('base64url');
}

export function decodeCursor(raw: string): Cursor | undefined {
  try {
    const [ms, eventId] = JSON.parse(Buffer.from(raw, 'base64url').toString()) as unknown[];
    if (!Number.isSafeInteger(ms) || typeof eventId !== 'string' || !UUID.test(eventId)) return undefined;
    return { createdAt: new Date(ms as number), eventId };
  } catch {
    return undefined;
  }
}

export function invalid(field: string, reason: string): AppError {
  return new AppError('validation', 'AUDIT.INVALID_FILTER', 'The query is invalid.', [{ field, reason }]);
}

function fail(problems: FieldError[]): void {
  if (problems.length > 0) {
    throw new AppError('validation', 'AUDIT.INVALID_FILTER', 'The query is invalid.', problems);
  }
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).filter((v) => v !== '');
}

function single(query: Query, field: string, problems: FieldError[]): string | undefined {
  const value = query[field];
  if (Array.isArray(value)) {
    problems.push({ field, reason: 'must be given once' });
    return undefined;
  }
  return value === '' ? undefined : value;
}

function positiveInt(query: Query, field: string, max: number, problems: FieldError[]): number | undefined {
  const raw = single(query, field, problems);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1) problems.push({ field, reason: 'must be a positive integer' });
  else if (value > max) problems.push({ field, reason: `must be <= ${max}` });
  else return value;
  return undefined;
}

function id(query: Query, field: string, problems: FieldError[]): string | undefined {
  const value = single(query, field, problems);
  if (value !== undefined && !SAFE_ID.test(value)) {
    problems.push({ field, reason: 'is malformed (1-128 of A-Z a-z 0-9 . _ : -)' });
    return undefined;
  }
  return value;
}

function date(query: Query, field: string, problems: FieldError[]): Date | undefined {
  const value = single(query, field, problems);
  if (value === undefined) return undefined;
  // The contract's date-time rule: `new Date` would read 30 February as 2 March.
  const parsed = parseDateTime(value);
  if (!parsed) problems.push({ field, reason: 'must be an RFC 3339 date-time with offset, e.g. 2026-01-31T00:00:00Z' });
  return parsed;
}

const isField = (field: string) => (problem: FieldError) => problem.field === field;

function prune<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
