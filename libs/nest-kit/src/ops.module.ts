import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_INFO, AppInfo, HealthRegistry } from './health';
import { ManagementServer } from './management';
import { AppMetrics } from './metrics';

/**
 * Health, status and metrics for one app, served by its ManagementServer (the management port, not the public
 * one). Global so every module can register checks and metrics.
 */
@Global()
@Module({})
export class OpsModule {
  static forApp(info: AppInfo, metrics = new AppMetrics(info.name)): DynamicModule {
    return {
      module: OpsModule,
      providers: [
        HealthRegistry,
        ManagementServer,
        { provide: AppMetrics, useValue: metrics },
        { provide: APP_INFO, useValue: info },
      ],
      exports: [HealthRegistry, AppMetrics, ManagementServer],
    };
  }
}
