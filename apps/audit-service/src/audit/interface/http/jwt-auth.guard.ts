import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ACCESS_TOKEN_AUDIENCE, AppError, JwtVerifier } from '@taskflow/nest-kit';
import type { FastifyRequest } from 'fastify';
import { AuditConfig } from '../../../config/audit.config';
import { AUDIT_CONFIG } from '../../tokens';

export interface Principal {
  sub: string;
  role: string;
  sid?: string;
}

const ROLES = 'audit:roles';
/** Roles allowed on a handler or controller; the audit API defaults to analysts (admin, auditor). */
export const Roles = (...roles: string[]) => SetMetadata(ROLES, roles);

/**
 * Verifies the gateway's access token (ES256, the gateway's public keys, audience `taskflow-api`: nest-kit's
 * JwtVerifier, the one the gateway uses) and the caller's role. Error codes are the gateway's.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly tokens: JwtVerifier;

  constructor(
    @Inject(AUDIT_CONFIG) config: AuditConfig,
    private readonly reflector: Reflector,
  ) {
    this.tokens = new JwtVerifier(config.auth.publicKeys, ACCESS_TOKEN_AUDIENCE);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) {
      throw new AppError('unauthorized', 'AUTH.MISSING_TOKEN', 'A bearer token is required.');
    }
    const subject = this.tokens.verify(token);
    if (!subject?.actor) throw new AppError('unauthorized', 'AUTH.INVALID_TOKEN', 'The token is invalid or expired.');
    const claims: Principal = { sub: subject.actor.id, role: subject.actor.role, sid: subject.sessionId };
    const allowed = this.reflector.getAllAndOverride<string[]>(ROLES, [context.getHandler(), context.getClass()]) ?? [
      'admin',
      'auditor',
    ];
    if (!allowed.includes(claims.role)) {
      throw new AppError('forbidden', 'AUTH.FORBIDDEN', `This needs one of the roles: ${allowed.join(', ')}.`);
    }
    request.principal = claims;
    return true;
  }
}
