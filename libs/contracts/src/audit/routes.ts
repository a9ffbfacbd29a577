import { ENTITY_TYPES } from '../events/event-types';
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
  RawQuery,
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
import { RetentionRestampResponse } from './governance';

/**
 * The audit API, one descriptor per route: audit-service binds its handlers to `path` and parses with `request`;
 * the gateway declares one explicit route per descriptor (method, path, parameters, response and errors in its
 * OpenAPI, the permission that `access` names) and forwards it. Adding a route: add a descriptor here.
 */
export interface AuditRoute<Request = unknown> {
  readonly operationId: string;
  readonly method: 'GET' | 'POST';
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
  readonly status: 200 | 202;
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
