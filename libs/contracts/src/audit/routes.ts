import { ENTITY_TYPES } from '../events/entity-types';
import { DATE_TIME_TEXT } from '../fields/rules';
import { FieldError } from '../rpc/error-codes';
import {
  AUDIT_EXPORT_LIMIT_MAX,
  AuditParameter,
  EventFilter,
  EXPORT_FORMATS,
  ExportFormat,
  FILTER_KEYS,
  FILTER_PARAMETERS,
  InvalidAuditQuery,
  PAGE_PARAMETERS,
  PageRequest,
  parseBucket,
  parseEventFilter,
  parseExportFormat,
  parseExportLimit,
  parseFlag,
  parsePage,
  parseTaskAsOf,
  parseTaskTimeline,
  RawQuery,
  TaskAsOfRequest,
  TaskTimelineRequest,
  TIME_BUCKETS,
  TimeBucket,
} from './query';
import {
  BucketCounts,
  EventLogPage,
  EventTrail,
  KeyCounts,
  MaintenanceStarted,
  StartMaintenanceRequest,
} from './views';
import {
  LegalHoldListResponse,
  PlaceLegalHoldRequest,
  PlaceLegalHoldResponse,
  ReleaseLegalHoldResponse,
  RetentionRestampResponse,
} from './governance';
import { TASK_TIMELINE_FIELDS, TaskAsOfView, TaskTimelineView } from './history';
import { VerifyReport } from './verify';

/** The range keys of `verify`: by ingest time, [from, to). */
const RANGE_KEYS: readonly string[] = ['from', 'to'];
import {
  DeadLetterPage,
  MAX_DEAD_LETTER_PAGE,
  PurgeDeadLettersRequest,
  PurgeDeadLettersResponse,
  RedriveDeadLettersRequest,
  RedriveDeadLettersResponse,
  ReplayProgress,
  StartReplayRequest,
} from './operations';

/**
 * The audit API, one descriptor per route: audit-service binds its handlers to `path` and parses with `request`;
 * the gateway declares one explicit route per descriptor (method, path, parameters, response and errors in its
 * OpenAPI, the permission that `access` names) and forwards it. Adding a route: add a descriptor here.
 */
export interface AuditRoute<Request = unknown> {
  readonly operationId: string;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Under `/api/v1/audit/`, in the router's syntax (`entities/:entityType/:entityId/history`). */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  /** `read`: admin and auditor (gateway permission `audit:read`); `admin`: admin only (`audit:admin`). */
  readonly access: 'read' | 'admin';
  readonly request: AuditRequest<Request>;
  /** The JSON body class (class-validator rules, OpenAPI schema), for routes that take one. */
  readonly body?: new () => object;
  readonly response: AuditJsonResponse | AuditStreamResponse;
}

export interface AuditJsonResponse {
  readonly status: 200 | 201 | 202;
  /** The response class: its `@ApiProperty` fields are the OpenAPI schema. */
  readonly type: new () => object;
  readonly description: string;
}

/** A streamed body (export): the media types it may have. */
export interface AuditStreamResponse {
  readonly status: 200;
  readonly mediaTypes: Readonly<Record<string, string>>;
  readonly description: string;
}

/** The query string and path parameters of a route: documented `parameters` and the `parse` that applies them. */
export interface AuditRequest<T> {
  readonly parameters: readonly AuditParameter[];
  /**
   * Reads the query and the path parameters. Throws InvalidAuditQuery (400 `AUDIT.INVALID_FILTER`) naming every
   * bad field, and every query key the route does not declare.
   */
  parse(query: RawQuery, path?: RawQuery): T;
}

/** Builds an AuditRequest: unknown query keys are reported together with what `read` finds wrong. */
export function auditRequest<T>(
  parameters: readonly AuditParameter[],
  read: (query: RawQuery, path: RawQuery) => T,
): AuditRequest<T> {
  const known = new Set(parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name));
  return {
    parameters,
    parse(query, path = {}) {
      const unknown: FieldError[] = Object.keys(query)
        .filter((key) => !known.has(key))
        .map((field) => ({ field, reason: 'is not a known parameter' }));
      const declared = Object.fromEntries(Object.entries(query).filter(([key]) => known.has(key)));
      let problems = unknown;
      let value: T | undefined;
      try {
        value = read(declared, path);
      } catch (error) {
        if (!(error instanceof InvalidAuditQuery)) throw error;
        problems = [...unknown, ...error.fieldErrors];
      }
      if (problems.length > 0) throw new InvalidAuditQuery(problems);
      return value as T;
    },
  };
}

/**
 * Parameters documented here whose rules live elsewhere: a query class the ValidationPipe applies at both doors
 * (`ListDeadLettersQuery`), or audit-service's handler (its 400 is passed on by the gateway). Parses nothing.
 */
export function documentedRequest(parameters: readonly AuditParameter[]): AuditRequest<Record<string, never>> {
  return { parameters, parse: () => ({}) };
}

const pick = (query: RawQuery, keys: readonly string[]): RawQuery =>
  Object.fromEntries(Object.entries(query).filter(([key]) => keys.includes(key)));

export interface EventPageRequest {
  filter: EventFilter;
  page: PageRequest;
}

export interface ExportRequest {
  filter: EventFilter;
  format: ExportFormat;
  /** The newest `limit` rows only; undefined = the whole range. */
  limit?: number;
  /** Start a CSV with the UTF-8 byte-order mark (EF BB BF). */
  bom: boolean;
}

const ENTITY_PATH: readonly AuditParameter[] = [
  { name: 'entityType', in: 'path', description: 'The entity type.', schema: { type: 'string', enum: ENTITY_TYPES } },
  { name: 'entityId', in: 'path', description: 'A UUID for `task` and `user`.', schema: { type: 'string' } },
];
const NO_PARAMETERS = auditRequest([], () => ({}));
const HISTORY_FILTER = FILTER_PARAMETERS.filter((p) => p.name !== 'entityType' && p.name !== 'entityId');

const EXPORT_PARAMETERS: readonly AuditParameter[] = [
  ...FILTER_PARAMETERS,
  { name: 'format', in: 'query', description: 'Default `ndjson`.', schema: { type: 'string', enum: EXPORT_FORMATS } },
  {
    name: 'limit',
    in: 'query',
    description: 'Only the newest `limit` rows; without it the whole filtered range.',
    schema: { type: 'integer', minimum: 1, maximum: AUDIT_EXPORT_LIMIT_MAX },
  },
  {
    name: 'bom',
    in: 'query',
    description: 'CSV only: `true` starts the file with a UTF-8 byte-order mark, so spreadsheets read non-ASCII text.',
    schema: { type: 'boolean', default: false },
  },
];

const CSV_DESCRIPTION =
  'RFC 4180 CSV (CRLF line ends, a header row; see AUDIT_CSV_COLUMNS), UTF-8; cells starting with = + - @ are ' +
  "prefixed with ' against spreadsheet formulas.";

export const AuditRoutes = {
  events: {
    operationId: 'auditListEvents',
    method: 'GET',
    path: 'events',
    summary: 'List audit events, newest first (admin, auditor)',
    access: 'read',
    request: auditRequest([...FILTER_PARAMETERS, ...PAGE_PARAMETERS], (query) => ({
      filter: parseEventFilter(pick(query, FILTER_KEYS)),
      page: parsePage(query),
    })),
    response: { status: 200, type: EventLogPage, description: 'One page of events.' },
  } satisfies AuditRoute<EventPageRequest>,
  entityHistory: {
    operationId: 'auditEntityHistory',
    method: 'GET',
    path: 'entities/:entityType/:entityId/history',
    summary: "One entity's events, newest first (admin, auditor)",
    access: 'read',
    request: auditRequest([...ENTITY_PATH, ...HISTORY_FILTER, ...PAGE_PARAMETERS], (query, path) => ({
      filter: parseEventFilter({ ...pick(query, FILTER_KEYS), entityType: path.entityType, entityId: path.entityId }),
      page: parsePage(query),
    })),
    response: { status: 200, type: EventLogPage, description: 'One page of the entity history.' },
  } satisfies AuditRoute<EventPageRequest>,
  correlationTrail: {
    operationId: 'auditCorrelationTrail',
    method: 'GET',
    path: 'correlations/:correlationId',
    summary: "One request's trail across services, oldest first (admin, auditor)",
    access: 'read',
    request: auditRequest(
      [{ name: 'correlationId', in: 'path', description: 'The correlation id.', schema: { type: 'string' } }],
      (_query, path) => parseEventFilter({ correlationId: path.correlationId }),
    ),
    response: { status: 200, type: EventTrail, description: 'At most 1000 events.' },
  } satisfies AuditRoute<EventFilter>,
  countByType: {
    operationId: 'auditCountByType',
    method: 'GET',
    path: 'stats/by-type',
    summary: 'Count events per type (admin, auditor)',
    access: 'read',
    request: auditRequest(FILTER_PARAMETERS, (query) => parseEventFilter(query)),
    response: { status: 200, type: KeyCounts, description: 'The 200 largest types.' },
  } satisfies AuditRoute<EventFilter>,
  countByActor: {
    operationId: 'auditCountByActor',
    method: 'GET',
    path: 'stats/by-actor',
    summary: 'Count events per actor (admin, auditor)',
    access: 'read',
    request: auditRequest(FILTER_PARAMETERS, (query) => parseEventFilter(query)),
    response: { status: 200, type: KeyCounts, description: 'The 200 most active actors.' },
  } satisfies AuditRoute<EventFilter>,
  countByTime: {
    operationId: 'auditCountByTime',
    method: 'GET',
    path: 'stats/by-time',
    summary: 'Count events per UTC hour, day or week (admin, auditor)',
    access: 'read',
    request: auditRequest(
      [
        ...FILTER_PARAMETERS,
        { name: 'bucket', in: 'query', description: 'Default `day`.', schema: { type: 'string', enum: TIME_BUCKETS } },
      ],
      (query): { filter: EventFilter; bucket: TimeBucket } => ({
        filter: parseEventFilter(pick(query, FILTER_KEYS)),
        bucket: parseBucket(query),
      }),
    ),
    response: { status: 200, type: BucketCounts, description: 'Every non-empty bucket.' },
  } satisfies AuditRoute<{ filter: EventFilter; bucket: TimeBucket }>,
  export: {
    operationId: 'auditExport',
    method: 'GET',
    path: 'export',
    summary: 'Export events as NDJSON or CSV, streamed newest first (admin, auditor)',
    description:
      'Streamed from a MongoDB cursor through the gateway: neither holds the export in memory, whatever its size.',
    access: 'read',
    request: auditRequest(EXPORT_PARAMETERS, (query): ExportRequest => ({
      filter: parseEventFilter(pick(query, FILTER_KEYS)),
      format: parseExportFormat(query),
      limit: parseExportLimit(query),
      bom: parseFlag(query, 'bom'),
    })),
    response: {
      status: 200,
      mediaTypes: {
        'application/x-ndjson': 'One stored event (EventLogView) per line.',
        'text/csv': CSV_DESCRIPTION,
      },
      description: 'The export, as an attachment.',
    },
  } satisfies AuditRoute<ExportRequest>,
  restampRetention: {
    operationId: 'auditRestampRetention',
    method: 'POST',
    path: 'admin/retention/restamp',
    summary: 'Apply the retention policy in force to stored events, or report what it would change (admin)',
    access: 'admin',
    request: auditRequest(
      [
        {
          name: 'dryRun',
          in: 'query',
          description: '`true` changes and records nothing, only reports.',
          schema: { type: 'boolean', default: false },
        },
      ],
      (query) => ({ dryRun: parseFlag(query, 'dryRun') }),
    ),
    response: {
      status: 200,
      type: RetentionRestampResponse,
      description: 'What changed (or would), per event type; the recording `audit.retention.changed` event.',
    },
  } satisfies AuditRoute<{ dryRun: boolean }>,
  startMaintenance: {
    operationId: 'auditStartMaintenance',
    method: 'POST',
    path: 'admin/maintenance',
    summary: 'Announce a maintenance window: sends system.maintenance.started (admin)',
    access: 'admin',
    request: NO_PARAMETERS,
    body: StartMaintenanceRequest,
    response: { status: 202, type: MaintenanceStarted, description: 'The event was sent.' },
  } satisfies AuditRoute,
  verify: {
    operationId: 'auditVerify',
    method: 'GET',
    path: 'verify',
    summary:
      'Prove what was ingested in a range intact, or name the first altered, inserted or removed record (admin, auditor)',
    access: 'read',
    request: auditRequest(
      FILTER_PARAMETERS.filter((parameter) => RANGE_KEYS.includes(parameter.name)),
      (query) => parseEventFilter(query, RANGE_KEYS),
    ),
    response: {
      status: 200,
      type: VerifyReport,
      description: '`intact: true`, or `intact: false` with the first break (tamper evidence).',
    },
  } satisfies AuditRoute<EventFilter>,
  taskAsOf: {
    operationId: 'auditTaskAsOf',
    method: 'GET',
    path: 'tasks/:taskId/as-of',
    summary: 'A task as it was at a moment, rebuilt from its events (admin, auditor)',
    access: 'read',
    request: auditRequest(
      [
        { name: 'taskId', in: 'path', description: 'The task.', schema: { type: 'string', format: 'uuid' } },
        {
          name: 'at',
          in: 'query',
          description: `Required; ${DATE_TIME_TEXT}.`,
          schema: { type: 'string', format: 'date-time' },
        },
      ],
      parseTaskAsOf,
    ),
    response: { status: 200, type: TaskAsOfView, description: 'The task at `at` (null before it existed).' },
  } satisfies AuditRoute<TaskAsOfRequest>,
  taskTimeline: {
    operationId: 'auditTaskTimeline',
    method: 'GET',
    path: 'tasks/:taskId/timeline',
    summary: "Every change of a task's fields: who, what, when (admin, auditor)",
    access: 'read',
    request: auditRequest(
      [
        { name: 'taskId', in: 'path', description: 'The task.', schema: { type: 'string', format: 'uuid' } },
        {
          name: 'field',
          in: 'query',
          description: 'Only this field.',
          schema: { type: 'string', enum: TASK_TIMELINE_FIELDS },
        },
      ],
      parseTaskTimeline,
    ),
    response: { status: 200, type: TaskTimelineView, description: 'Field changes, oldest first.' },
  } satisfies AuditRoute<TaskTimelineRequest>,
  placeLegalHold: {
    operationId: 'auditPlaceLegalHold',
    method: 'POST',
    path: 'admin/legal-holds',
    summary: 'Hold every record of an entity, actor or correlation id past its retention (admin)',
    access: 'admin',
    request: NO_PARAMETERS,
    body: PlaceLegalHoldRequest,
    response: { status: 201, type: PlaceLegalHoldResponse, description: 'The hold and how many records it holds.' },
  } satisfies AuditRoute,
  listLegalHolds: {
    operationId: 'auditListLegalHolds',
    method: 'GET',
    path: 'admin/legal-holds',
    summary: 'List legal holds (admin)',
    access: 'admin',
    request: documentedRequest([
      {
        name: 'active',
        in: 'query',
        description: '`true` active only, `false` released only.',
        schema: { type: 'boolean' },
      },
    ]),
    response: { status: 200, type: LegalHoldListResponse, description: 'Newest first.' },
  } satisfies AuditRoute,
  releaseLegalHold: {
    operationId: 'auditReleaseLegalHold',
    method: 'DELETE',
    path: 'admin/legal-holds/:holdId',
    summary: 'Release a legal hold: its records get their retention back (admin)',
    access: 'admin',
    request: documentedRequest([
      { name: 'holdId', in: 'path', description: 'The hold.', schema: { type: 'string', format: 'uuid' } },
    ]),
    response: { status: 200, type: ReleaseLegalHoldResponse, description: 'The released hold.' },
  } satisfies AuditRoute,
  listDeadLetters: {
    operationId: 'auditListDeadLetters',
    method: 'GET',
    path: 'admin/dead-letters',
    summary: 'List dead-lettered messages with their reasons (admin)',
    access: 'admin',
    request: documentedRequest([
      { name: 'topic', in: 'query', description: 'A `.dlq` topic or its original topic.', schema: { type: 'string' } },
      {
        name: 'limit',
        in: 'query',
        description: 'Page size.',
        schema: { type: 'integer', minimum: 1, maximum: MAX_DEAD_LETTER_PAGE },
      },
      { name: 'cursor', in: 'query', description: '`nextCursor` of the previous page.', schema: { type: 'string' } },
    ]),
    response: { status: 200, type: DeadLetterPage, description: 'One page of dead letters, with their reasons.' },
  } satisfies AuditRoute,
  redriveDeadLetters: {
    operationId: 'auditRedriveDeadLetters',
    method: 'POST',
    path: 'admin/dead-letters/redrive',
    summary: 'Send selected dead letters back to their topic after a fix (admin)',
    access: 'admin',
    request: NO_PARAMETERS,
    body: RedriveDeadLettersRequest,
    response: { status: 200, type: RedriveDeadLettersResponse, description: 'What was redriven.' },
  } satisfies AuditRoute,
  purgeDeadLetters: {
    operationId: 'auditPurgeDeadLetters',
    method: 'POST',
    path: 'admin/dead-letters/purge',
    summary: 'Purge dead letters up to an offset (admin)',
    access: 'admin',
    request: NO_PARAMETERS,
    body: PurgeDeadLettersRequest,
    response: { status: 200, type: PurgeDeadLettersResponse, description: 'What was purged.' },
  } satisfies AuditRoute,
  startReplay: {
    operationId: 'auditStartReplay',
    method: 'POST',
    path: 'admin/replay',
    summary: 'Replay topics from a point in time into the store, without duplicates (admin)',
    access: 'admin',
    request: NO_PARAMETERS,
    body: StartReplayRequest,
    response: { status: 202, type: ReplayProgress, description: 'The replay started.' },
  } satisfies AuditRoute,
  replayProgress: {
    operationId: 'auditReplayProgress',
    method: 'GET',
    path: 'admin/replay/:replayId',
    summary: 'Progress of a replay (admin)',
    access: 'admin',
    request: documentedRequest([
      { name: 'replayId', in: 'path', description: 'The replay.', schema: { type: 'string' } },
    ]),
    response: { status: 200, type: ReplayProgress, description: 'How far the replay is.' },
  } satisfies AuditRoute,
} as const;

/**
 * The CSV export's columns, in order: the stored event with the payload as JSON, then what was added later
 * (`causationId` and `metadata.*` flattened) at the end, so readers of the first nine columns keep working.
 */
export const AUDIT_CSV_COLUMNS = [
  'eventId',
  'type',
  'schemaVersion',
  'createdAt',
  'actorId',
  'entityType',
  'entityId',
  'correlationId',
  'payload',
  'causationId',
  'metadata.timestamp',
  'metadata.ipAddress',
  'metadata.userAgent',
  'metadata.sessionId',
] as const;
