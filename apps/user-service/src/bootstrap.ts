import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ShutdownSettings } from '@taskflow/config';
import { RPC_AUDIENCE, RpcListenerOptions } from '@taskflow/nest-kit';
import { createPostgresServiceApp, PostgresServiceIdentity, PostgresServiceResources } from '@taskflow/service-chassis';
import { assertSchemaCurrent } from './database/data-source';
import { USER_IDEMPOTENCY_TABLE } from './migrations';
import { USER_OUTBOX_TABLE } from './migrations/1767225600001-create-user-outbox';
import { UserModule, UserModuleOptions } from './user/user.module';

/** user-service as the service chassis knows it. */
export const USER_SERVICE: PostgresServiceIdentity = {
  name: 'user-service',
  audience: RPC_AUDIENCE.user,
  assertSchema: assertSchemaCurrent,
  outboxTable: USER_OUTBOX_TABLE,
  idempotencyTable: USER_IDEMPOTENCY_TABLE,
};

export type UserServiceAppOptions = PostgresServiceResources & Omit<UserModuleOptions, 'dataSource'>;

/**
 * user-service's Nest app: the user context on the chassis (createPostgresServiceApp: TCP request/reply, health,
 * status and metrics on the management listener), with the throttle's Redis among the readiness checks. Not
 * started: the caller runs `init()`, `startAllMicroservices()` and `listen()` (main.ts through runPostgresService;
 * the tests themselves).
 */
export function createUserServiceApp(
  options: UserServiceAppOptions,
  rpc: RpcListenerOptions,
  shutdown?: ShutdownSettings,
): Promise<NestFastifyApplication> {
  const { dataSource, bcryptCost, fieldKeys, authenticateThrottle } = options;
  return createPostgresServiceApp(
    USER_SERVICE,
    UserModule.forRoot({ dataSource, bcryptCost, fieldKeys, authenticateThrottle }),
    { ...options, healthChecks: [...(options.healthChecks ?? []), authenticateThrottle.healthCheck()] },
    rpc,
    shutdown,
  );
}
