import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ACCESS_TOKEN_AUDIENCE, JwtSigner, JwtVerifier, OpsModule } from '@taskflow/nest-kit';
import type { Logger } from 'pino';
import { AuditClient } from './audit/audit.client';
import { AuditController } from './audit/audit.controller';
import { AccessTokens } from './auth/access-tokens';
import { CallCredentials } from './auth/call-credentials';
import { AuthController } from './auth/auth.controller';
import { AuthService } from './auth/auth.service';
import { GatewayGuard } from './auth/gateway.guard';
import { PermissionsStore } from './auth/permissions';
import { SessionStore } from './auth/session.store';
import { GATEWAY_CONFIG, GatewayConfig } from './config/gateway.config';
import { LOGGER, RedisModule } from './infrastructure/redis.module';
import { ServiceClients } from './infrastructure/service-clients';
import { UpstreamHealth } from './infrastructure/upstream-health';
import { TasksController } from './tasks/tasks.controller';
import { TasksService } from './tasks/tasks.service';
import { UsersController } from './users/users.controller';
import { UsersService } from './users/users.service';

/** Signs with the current key; verifies with it and any previous public keys still accepted (rotation). */
function accessTokens(config: GatewayConfig): AccessTokens {
  const { signingKey, publicKeys, accessTtlSeconds } = config.auth;
  const keys = new Map(publicKeys).set(signingKey.kid, signingKey.publicKey);
  return new AccessTokens(new JwtSigner(signingKey), new JwtVerifier(keys, ACCESS_TOKEN_AUDIENCE), accessTtlSeconds);
}

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        OpsModule.forApp({ name: 'api-gateway', version: process.env.npm_package_version ?? '0.1.0' }),
        { module: ConfigModule, global: true, providers: provided(config, logger), exports: [GATEWAY_CONFIG, LOGGER] },
        RedisModule,
      ],
      controllers: [AuthController, UsersController, TasksController, AuditController],
      providers: [
        { provide: AccessTokens, useValue: accessTokens(config) },
        { provide: CallCredentials, useValue: new CallCredentials(new JwtSigner(config.auth.signingKey)) },
        ServiceClients,
        AuditClient,
        UpstreamHealth,
        SessionStore,
        PermissionsStore,
        AuthService,
        UsersService,
        TasksService,
        { provide: APP_GUARD, useClass: GatewayGuard },
      ],
    };
  }
}

@Module({})
class ConfigModule {}

function provided(config: GatewayConfig, logger: Logger) {
  return [
    { provide: GATEWAY_CONFIG, useValue: config },
    { provide: LOGGER, useValue: logger },
  ];
}
