import { Inject, Injectable } from '@nestjs/common';
import { AuditRoute } from '@taskflow/contracts';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { GATEWAY_CONFIG, GatewayConfig } from '../config/gateway.config';
import { ProblemException, UpstreamProblem } from '../http/problem.exception';

/** What the gateway passes on from the caller: the bearer token audit-service verifies, and the correlation id. */
export interface AuditCall {
  /** The route's path parameters (already validated by the route's contract). */
  path: Record<string, string>;
  /** The caller's query string as received, `?` included or empty (already validated). */
  search: string;
  authorization: string;
  correlationId?: string;
  body?: object;
}

/** The headers of audit-service's answer a client may need: media type, download name, retry hint. */
const FORWARDED_HEADERS = ['content-type', 'content-disposition', 'retry-after'] as const;
const RETRY_AFTER_SECONDS = '5';

/**
 * audit-service's HTTP API as the gateway calls it, one `AuditRoute` at a time (libs/contracts AuditRoutes).
 * `RPC_TIMEOUT_MS` bounds a JSON call, and the wait for a stream's headers (the stream itself may take longer).
 * No answer, a refused connection or a 5xx that is not a problem+json become 503 with Retry-After; audit-service's
 * own problems (400, 401, 403, its 503 with Retry-After) are passed on as they are.
 */
@Injectable()
export class AuditClient {
  private readonly baseUrl: string;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.baseUrl = config.services.auditUrl.replace(/\/+$/, '');
  }

  /** A JSON route: its answer (the route's response class), or the upstream problem thrown. */
  async json<T>(route: AuditRoute, call: AuditCall): Promise<T> {
    const signal = AbortSignal.timeout(this.config.services.timeoutMs);
    const response = await this.send(route, call, signal);
    try {
      return (await response.json()) as T;
    } catch {
      throw unavailable();
    }
  }

  /**
   * A streamed route (export): the answer's forwarded headers and its body as a Node stream, read as the caller
   * reads (backpressure all the way to audit-service's MongoDB cursor; nothing is buffered whole). Destroying the
   * stream (the caller went away) cancels the upstream request.
   */
  async stream(route: AuditRoute, call: AuditCall): Promise<{ headers: Record<string, string>; body: Readable }> {
    const headersArrived = new AbortController();
    const timer = setTimeout(() => headersArrived.abort(), this.config.services.timeoutMs);
    const response = await this.send(route, call, headersArrived.signal).finally(() => clearTimeout(timer));
    if (!response.body) throw unavailable();
    return {
      headers: forwardedHeaders(response),
      body: Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
    };
  }

  /** `signal` bounds the call (and, for `json`, the reading of the body). */
  private async send(route: AuditRoute, call: AuditCall, signal: AbortSignal): Promise<Response> {
    const url = `${this.baseUrl}/api/v1/audit/${fillPath(route.path, call.path)}${call.search}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: route.method,
        headers: {
          authorization: call.authorization,
          ...(call.correlationId && { 'x-correlation-id': call.correlationId }),
          ...(call.body && { 'content-type': 'application/json' }),
        },
        body: call.body && JSON.stringify(call.body),
        signal,
        redirect: 'error',
      });
    } catch {
      throw unavailable();
    }
    if (response.ok) return response;
    const isProblem = response.headers.get('content-type')?.startsWith('application/problem+json');
    if (!isProblem) {
      await response.body?.cancel();
      if (response.status >= 500) throw unavailable();
      throw new ProblemException(response.status, 'AUDIT.UPSTREAM_ERROR', 'The audit service refused the request.');
    }
    const problem = await response.json().catch(() => undefined);
    if (typeof problem !== 'object' || problem === null) throw unavailable();
    throw new UpstreamProblem(response.status, problem as object, forwardedHeaders(response));
  }
}

function unavailable(): ProblemException {
  return new ProblemException(503, 'SERVICE.UNAVAILABLE', 'The audit service is unavailable, try again later.', {
    'Retry-After': RETRY_AFTER_SECONDS,
  });
}

function forwardedHeaders(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = response.headers.get(name);
    if (value) headers[name] = value;
  }
  return headers;
}

/** `entities/:entityType/:entityId/history` with each `:name` replaced by its percent-encoded value. */
export function fillPath(template: string, values: Record<string, string>): string {
  return template.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(values[name] ?? ''));
}
