import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Reader } from '../../application/audited-reads';
import { Principal } from './jwt-auth.guard';

/** The reader of an audit query: the verified token's subject (set by JwtAuthGuard) and the route template. */
export const ReadBy = createParamDecorator((_: unknown, context: ExecutionContext): Reader => {
  const request = context.switchToHttp().getRequest<FastifyRequest & { principal: Principal }>();
  return { actorId: request.principal.sub, route: `${request.method} ${request.routeOptions.url ?? request.url}` };
});
