import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequirePermission } from '../auth/auth.decorators';
import { GATEWAY_CONFIG, GatewayConfig } from '../config/gateway.config';
import { ProblemException } from '../http/problem.exception';

// Retry-After: audit-service's 503 (MongoDB down or past its deadline) keeps its retry hint.
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'content-disposition', 'retry-after'];

/** Read-only pass-through to audit-service's query API, behind the gateway's session and role checks. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditProxyController {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  @Get('*')
  @ApiOperation({ summary: 'Query the audit store (admin, auditor)' })
  @ApiParam({ name: 'path', description: 'The audit query route, e.g. `events`, `stats/by-type`, `export`.' })
  @ApiOkResponse({ description: "audit-service's answer, forwarded as is (JSON, NDJSON or CSV)." })
  @RequirePermission('audit:read')
  async forward(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const target = new URL(request.url, this.config.services.auditUrl);
    // The router passes dot segments through (`/api/v1/audit/../../metrics`) and URL resolves them:
    // forward only what stays inside the query API.
    if (!target.pathname.startsWith('/api/v1/audit/')) {
      throw new ProblemException(404, 'ROUTE.NOT_FOUND', 'No such audit route.');
    }
    let response: Response;
    try {
      response = await fetch(target, {
        headers: {
          authorization: request.headers.authorization ?? '',
          'x-correlation-id': String(request.headers['x-correlation-id'] ?? ''),
        },
        signal: AbortSignal.timeout(this.config.services.timeoutMs),
        redirect: 'error',
      });
    } catch {
      throw new ProblemException(503, 'SERVICE.UNAVAILABLE', 'The audit service is unavailable, try again later.', {
        'Retry-After': '5',
      });
    }
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = response.headers.get(name);
      if (value) void reply.header(name, value);
    }
    return reply.status(response.status).send(Buffer.from(await response.arrayBuffer()));
  }
}
