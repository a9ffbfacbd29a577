import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { Permission, UserRole } from '@taskflow/contracts';
import type { FastifyRequest } from 'fastify';

/** The authenticated caller, from a verified token whose session is alive. */
export interface AuthUser {
  id: string;
  role: UserRole;
  sessionId: string;
}

export type AuthedRequest = FastifyRequest & { user?: AuthUser };

export const IS_PUBLIC = 'gateway:public';
export const PERMISSION = 'gateway:permission';
export const LOGIN_THROTTLE = 'gateway:login-throttle';

/** No token needed (register, login, refresh). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
/** Only callers whose role grants this permission (`hasPermission`, libs/contracts rules/roles.ts) may call the route. */
export const RequirePermission = (permission: Permission) => SetMetadata(PERMISSION, permission);
/** Counts against the stricter per-IP login limit. */
export const LoginThrottle = () => SetMetadata(LOGIN_THROTTLE, true);

export const CurrentUser = createParamDecorator(
  (_: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<AuthedRequest>().user,
);
