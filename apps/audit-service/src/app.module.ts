import { Module, Type } from '@nestjs/common';
import { OpsModule } from '@taskflow/nest-kit';
import type { Logger } from 'pino';
import { AuditModule } from './audit/audit.module';
import { AuditConfig } from './config/audit.config';

export const APP_NAME = 'audit-service';
export const APP_VERSION = process.env.npm_package_version ?? '0.1.0';

/** The root module is built from an already validated config, so tests can pass their own. */
export function createAppModule(config: AuditConfig, logger: Logger): Type<unknown> {
  @Module({
    imports: [OpsModule.forApp({ name: APP_NAME, version: APP_VERSION }), AuditModule.forRoot(config, logger)],
  })
  class AppModule {}
  return AppModule;
}
