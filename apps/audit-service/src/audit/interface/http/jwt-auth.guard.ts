import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '@taskflow/nest-kit';
import { createSecretKey, KeyObject } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { verify } from 'jsonwebtoken';
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

/** Verifies the gateway's access token (HS256 only) and the caller's role. */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  // A KeyObject is parsed once; a string secret is re-imported on every verify (~50x slower).
  private readonly key: KeyObject;

  constructor(
    @Inject(AUDIT_CONFIG) config: AuditConfig,
    private readonly reflector: Reflector,
  ) {
    this.key = createSecretKey(Buffer.from(config.auth.jwtSecret, 'utf8'));
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) {
      throw new AppError('unauthorized', 'AUTH.TOKEN_MISSING', 'A bearer token is required.');
    }
    let claims: Principal;
    try {
      claims = verify(token, this.key, { algorithms: ['HS256'] }) as Principal;
    } catch {
      throw new AppError('unauthorized', 'AUTH.TOKEN_INVALID', 'The token is invalid or expired.');
    }
    if (typeof claims.sub !== 'string' || typeof claims.role !== 'string') {
      throw new AppError('unauthorized', 'AUTH.TOKEN_INVALID', 'The token lacks sub or role.');
    }
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
