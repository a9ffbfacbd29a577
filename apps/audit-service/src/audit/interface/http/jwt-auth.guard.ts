import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CommonErrorCodes, hasPermission, Permission, UserRole } from '@taskflow/contracts';
import { ACCESS_TOKEN_AUDIENCE, AppError, JwtVerifier, TokenSubject } from '@taskflow/nest-kit';
import type { FastifyRequest } from 'fastify';
import { AuditConfig } from '../../../config/audit.config';
import { SessionStoreClient } from '../../infrastructure/sessions/session-store.client';
import { AUDIT_CONFIG } from '../../tokens';

export interface Principal {
  sub: string;
  role: string;
  sid?: string;
}

const PERMISSION = 'audit:permission';
/**
 * The permission a handler or controller needs (`hasPermission`, libs/contracts rules/roles.ts): `audit:admin` for
 * the admin and operations routes; without it, `audit:read` (the gateway's map of the audit API's access levels).
 */
export const RequirePermission = (permission: Permission) => SetMetadata(PERMISSION, permission);

/**
 * Verifies the gateway's access token (ES256, the gateway's public keys, audience `taskflow-api`: nest-kit's
 * JwtVerifier, the one the gateway uses), then its session and the user's current role in the gateway's session
 * store (@taskflow/cache checkSession, the gateway's rule), and that the current role grants the route's permission
 * (the gateway's check): a logged-out session is 401, a demoted user 403, on this port as at the gateway. Error codes
 * are the gateway's.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly tokens: JwtVerifier;
  private readonly failureMode: AuditConfig['auth']['sessionFailureMode'];

  constructor(
    @Inject(AUDIT_CONFIG) config: AuditConfig,
    private readonly reflector: Reflector,
    private readonly sessions: SessionStoreClient,
  ) {
    this.tokens = new JwtVerifier(config.auth.publicKeys, ACCESS_TOKEN_AUDIENCE);
    this.failureMode = config.auth.sessionFailureMode;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) {
      throw new AppError('unauthorized', CommonErrorCodes.missingToken, 'A bearer token is required.');
    }
    const subject = this.tokens.verify(token);
    if (!subject?.actor || !subject.sessionId) {
      throw new AppError('unauthorized', CommonErrorCodes.invalidToken, 'The token is invalid or expired.');
    }
    const role = await this.currentRole({ actor: subject.actor, sessionId: subject.sessionId });
    const claims: Principal = { sub: subject.actor.id, role, sid: subject.sessionId };
    const required =
      this.reflector.getAllAndOverride<Permission>(PERMISSION, [context.getHandler(), context.getClass()]) ??
      'audit:read';
    if (!hasPermission(role, required)) {
      throw new AppError('forbidden', CommonErrorCodes.forbidden, `This needs the permission ${required}.`);
    }
    request.principal = claims;
    return true;
  }

  /** The session's current role; throws 401 for an ended session, 503 when the store is down in `closed` mode. */
  private async currentRole(subject: Required<TokenSubject>): Promise<UserRole> {
    const decision = await this.sessions.check({ userId: subject.actor.id, sessionId: subject.sessionId });
    if (decision.outcome === 'live') return decision.role;
    if (decision.outcome === 'ended') {
      throw new AppError(
        'unauthorized',
        CommonErrorCodes.sessionEnded,
        'The session of this token has ended; log in again.',
      );
    }
    if (this.failureMode === 'open') return subject.actor.role;
    throw new AppError(
      'unavailable',
      CommonErrorCodes.sessionStoreUnavailable,
      'Sessions cannot be checked right now.',
    );
  }
}
