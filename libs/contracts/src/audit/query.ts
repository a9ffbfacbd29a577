import { ENTITY_TYPES } from '../events/entity-types';
import { ALL_EVENT_TYPES } from '../events/event-types';
import { canonicalUuid, DATE_TIME_TEXT, dateTimeProblem, parseDateTime } from '../fields/rules';
import { keysetCursor } from '../pagination/keyset-cursor';
import { FieldError, RpcErrorBody } from '../rpc/error-codes';
import { TASK_TIMELINE_FIELDS, TaskTimelineField } from './history';

/**
 * The query strings of the audit API (audit-service's `/api/v1/audit/...`, relayed by the gateway), each rule once.
 * audit-service parses with these; the gateway parses with the same ones before forwarding (so a bad query gets the
 * same 400 at either door) and documents the same parameters in its OpenAPI (`AuditRequest.parameters`).
 */

export const AUDIT_PAGE_MAX = 200;
export const AUDIT_PAGE_DEFAULT = 50;
/** Most rows one export may be limited to; without `limit` an export streams the whole range. */
export const AUDIT_EXPORT_LIMIT_MAX = 1_000_000;
/** Groups returned by the by-type and by-actor counts (the largest first). */
export const AUDIT_STATS_TOP = 200;
export const TIME_BUCKETS = ['hour', 'day', 'week'] as const;
export type TimeBucket = (typeof TIME_BUCKETS)[number];
export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const SAFE_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';
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

/** A query string or path parameters as Fastify parses them (a repeated key is an array). */
export type RawQuery = Record<string, string | string[] | undefined>;

/**
 * A bad audit query: 400 `AUDIT.INVALID_FILTER` with every field and reason. Shaped as an `RpcErrorBody`, so
 * nest-kit's problem filter answers it as problem+json in audit-service and the gateway alike.
 */
export class InvalidAuditQuery extends Error implements RpcErrorBody {
  readonly kind = 'validation' as const;
  readonly code = 'AUDIT.INVALID_FILTER';

  constructor(readonly fieldErrors: FieldError[]) {
    super('The query is invalid.');
    this.name = 'InvalidAuditQuery';
  }
}

/** One documented parameter: its OpenAPI description and schema (the rule itself is in the parser). */
export interface AuditParameter {
  name: string;
  in: 'query' | 'path';
  description: string;
  schema: Record<string, unknown>;
}

export const FILTER_PARAMETERS: readonly AuditParameter[] = [
  {
    name: 'type',
    in: 'query',
    description:
      'Event types (`task.created`), several repeated or comma-separated, ' +
      'or prefixes ending in a dot (`task.`, `system.backup.`).',
    schema: { type: 'array', items: { type: 'string', example: 'task.' } },
  },
  { name: 'actorId', in: 'query', description: 'Who acted.', schema: { type: 'string', pattern: SAFE_ID_PATTERN } },
  {
    name: 'entityType',
    in: 'query',
    description: 'Required with `entityId`.',
    schema: { type: 'string', enum: ENTITY_TYPES },
  },
  {
    name: 'entityId',
    in: 'query',
    description: 'A UUID for `task` and `user`.',
    schema: { type: 'string', pattern: SAFE_ID_PATTERN },
  },
  {
    name: 'correlationId',
    in: 'query',
    description: 'One request across services.',
    schema: { type: 'string', pattern: SAFE_ID_PATTERN },
  },
  {
    name: 'from',
    in: 'query',
    description: `Inclusive; ${DATE_TIME_TEXT}.`,
    schema: { type: 'string', format: 'date-time' },
  },
  {
    name: 'to',
    in: 'query',
    description: `Exclusive; ${DATE_TIME_TEXT}.`,
    schema: { type: 'string', format: 'date-time' },
  },
];
export const FILTER_KEYS = FILTER_PARAMETERS.map((parameter) => parameter.name);

export const PAGE_PARAMETERS: readonly AuditParameter[] = [
  {
    name: 'limit',
    in: 'query',
    description: `Page size (default ${AUDIT_PAGE_DEFAULT}).`,
    schema: { type: 'integer', minimum: 1, maximum: AUDIT_PAGE_MAX },
  },
  { name: 'cursor', in: 'query', description: '`nextCursor` of the previous page.', schema: { type: 'string' } },
];
export const PAGE_KEYS = PAGE_PARAMETERS.map((parameter) => parameter.name);

/** Parses the list/export/aggregation filter; every problem is reported as a field error (InvalidAuditQuery). */
export function parseEventFilter(query: RawQuery, allowed: readonly string[] = FILTER_KEYS): EventFilter {
  const problems: FieldError[] = [];
  for (const key of Object.keys(query)) {
    if (!allowed.includes(key)) problems.push({ field: key, reason: 'is not a known parameter' });
  }
  const filter: EventFilter = {};
  const types = list(query, 'type', problems);
  for (const type of types) {
    if (type.endsWith('.')) {
      if (TYPE_PREFIXES.has(type)) (filter.typePrefixes ??= []).push(type);
      else problems.push({ field: 'type', reason: `unknown type prefix ${type}` });
    } else if ((ALL_EVENT_TYPES as readonly string[]).includes(type)) (filter.types ??= []).push(type);
    else problems.push({ field: 'type', reason: `unknown event type ${type}` });
  }
  // Ids are stored canonical (UUIDs lower-case, issue 11): an upper-case UUID names the same actor or entity.
  filter.actorId = canonicalUuid(id(query, 'actorId', problems));
  filter.correlationId = id(query, 'correlationId', problems);
  filter.entityId = canonicalUuid(id(query, 'entityId', problems));
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

export function parsePage(query: RawQuery): PageRequest {
  const problems: FieldError[] = [];
  const limit = positiveInt(query, 'limit', AUDIT_PAGE_MAX, problems) ?? AUDIT_PAGE_DEFAULT;
  const rawCursor = single(query, 'cursor', problems);
  const cursor = rawCursor === undefined ? undefined : EventLogCursor.decode(rawCursor);
  if (rawCursor !== undefined && cursor === undefined) problems.push({ field: 'cursor', reason: 'is malformed' });
  fail(problems);
  return { limit, cursor };
}

/** The export's optional `limit`: the newest rows first, 1..AUDIT_EXPORT_LIMIT_MAX; undefined = the whole range. */
export function parseExportLimit(query: RawQuery): number | undefined {
  const problems: FieldError[] = [];
  const limit = positiveInt(query, 'limit', AUDIT_EXPORT_LIMIT_MAX, problems);
  fail(problems);
  return limit;
}

export function parseBucket(query: RawQuery): TimeBucket {
  return oneOf(query, 'bucket', TIME_BUCKETS, 'day');
}

export function parseExportFormat(query: RawQuery): ExportFormat {
  return oneOf(query, 'format', EXPORT_FORMATS, 'ndjson');
}

/** `true` or `false` (default false). */
export function parseFlag(query: RawQuery, field: string): boolean {
  const problems: FieldError[] = [];
  const value = single(query, field, problems) ?? 'false';
  if (value !== 'true' && value !== 'false') problems.push({ field, reason: 'must be true or false' });
  fail(problems);
  return value === 'true';
}

/** The event log's keyset cursor: the sort key (createdAt, eventId) of the previous page's last item. */
export const EventLogCursor = keysetCursor<Cursor>({
  write: (cursor) => [cursor.createdAt.getTime(), cursor.eventId],
  read: (value) => {
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [ms, eventId] = value as unknown[];
    if (!Number.isSafeInteger(ms) || typeof eventId !== 'string' || !UUID.test(eventId)) return undefined;
    return { createdAt: new Date(ms as number), eventId };
  },
});

/** A single-field InvalidAuditQuery, for a rule a route adds on top of these. */
/** A task's as-of read: `taskId` from the path (lower-cased UUID), `at` required (RFC 3339 with offset). */
export interface TaskAsOfRequest {
  taskId: string;
  at: Date;
}

/** A task's timeline: `taskId` from the path, `field` optional (one of TASK_TIMELINE_FIELDS). */
export interface TaskTimelineRequest {
  taskId: string;
  field?: TaskTimelineField;
}

export function parseTaskAsOf(query: RawQuery, path: RawQuery): TaskAsOfRequest {
  const problems: FieldError[] = [];
  const taskId = taskIdOf(path, problems);
  const at = date(query, 'at', problems);
  if (at === undefined && !problems.some(isField('at'))) problems.push({ field: 'at', reason: 'is required' });
  fail(problems);
  return { taskId: taskId!, at: at! };
}

export function parseTaskTimeline(query: RawQuery, path: RawQuery): TaskTimelineRequest {
  const problems: FieldError[] = [];
  const taskId = taskIdOf(path, problems);
  const field = single(query, 'field', problems);
  if (field !== undefined && !(TASK_TIMELINE_FIELDS as readonly string[]).includes(field)) {
    problems.push({ field: 'field', reason: `must be one of ${TASK_TIMELINE_FIELDS.join(', ')}` });
  }
  fail(problems);
  return prune({ taskId: taskId!, field: field as TaskTimelineField | undefined });
}

function taskIdOf(path: RawQuery, problems: FieldError[]): string | undefined {
  const value = single(path, 'taskId', problems);
  if (value === undefined || !UUID.test(value)) {
    if (!problems.some(isField('taskId'))) problems.push({ field: 'taskId', reason: 'must be a UUID' });
    return undefined;
  }
  return value.toLowerCase();
}

export function invalid(field: string, reason: string): InvalidAuditQuery {
  return new InvalidAuditQuery([{ field, reason }]);
}

function fail(problems: FieldError[]): void {
  if (problems.length > 0) throw new InvalidAuditQuery(problems);
}

function oneOf<T extends string>(query: RawQuery, field: string, allowed: readonly T[], fallback: T): T {
  const problems: FieldError[] = [];
  const value = single(query, field, problems) ?? fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    problems.push({ field, reason: `must be one of ${allowed.join(', ')}` });
  }
  fail(problems);
  return value as T;
}

/** A parameter given empty (`?from=`) or with an empty item (`?type=task.,`): a 400, never "no bound". */
const EMPTY = 'must not be empty (leave the parameter out for no filter)';

/** A repeated or comma-separated parameter's items; an empty item is a problem, not ignored. */
function list(query: RawQuery, field: string, problems: FieldError[]): string[] {
  const value = query[field];
  if (value === undefined) return [];
  const items = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(','));
  if (items.includes('')) problems.push({ field, reason: EMPTY });
  return items.filter((item) => item !== '');
}

/**
 * A parameter given at most once. Empty is not absent: `?from=` is a 400 naming it (issue 11, "parse, don't pass
 * through"), so a client that meant a bound never silently gets none.
 */
function single(query: RawQuery, field: string, problems: FieldError[]): string | undefined {
  const value = query[field];
  if (Array.isArray(value)) {
    problems.push({ field, reason: 'must be given once' });
    return undefined;
  }
  if (value === '') {
    problems.push({ field, reason: EMPTY });
    return undefined;
  }
  return value;
}

function positiveInt(query: RawQuery, field: string, max: number, problems: FieldError[]): number | undefined {
  const raw = single(query, field, problems);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1) problems.push({ field, reason: 'must be a positive integer' });
  else if (value > max) problems.push({ field, reason: `must be <= ${max}` });
  else return value;
  return undefined;
}

function id(query: RawQuery, field: string, problems: FieldError[]): string | undefined {
  const value = single(query, field, problems);
  if (value !== undefined && !SAFE_ID.test(value)) {
    problems.push({ field, reason: 'is malformed (1-128 of A-Z a-z 0-9 . _ : -)' });
    return undefined;
  }
  return value;
}

function date(query: RawQuery, field: string, problems: FieldError[]): Date | undefined {
  const value = single(query, field, problems);
  if (value === undefined) return undefined;
  // The contract's date-time rule: `new Date` would read 30 February as 2 March.
  const problem = dateTimeProblem(value);
  if (problem) problems.push({ field, reason: problem });
  return parseDateTime(value);
}

const isField = (field: string) => (problem: FieldError) => problem.field === field;

function prune<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
