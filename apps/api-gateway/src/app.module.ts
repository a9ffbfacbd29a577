import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { OpsModule } from '@taskflow/nest-kit';
import type { Logger } from 'pino';
import { AuditProxyController } from './audit/audit-proxy.controller';
import { AccessTokens } from './auth/access-tokens';
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
      controllers: [AuthController, UsersController, TasksController, AuditProxyController],
      providers: [
        { provide: AccessTokens, useValue: new AccessTokens(config.auth.jwtSecret, config.auth.accessTtlSeconds) },
        ServiceClients,
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
