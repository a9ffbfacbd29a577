import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_INFO, AppInfo, HealthRegistry, OpsController } from './health';
import { AppMetrics } from './metrics';

/** Health, status and metrics for one app. Global so every module can register checks and metrics. */
@Global()
@Module({})
export class OpsModule {
  static forApp(info: AppInfo, metrics = new AppMetrics(info.name)): DynamicModule {
    return {
      module: OpsModule,
      controllers: [OpsController],
      providers: [HealthRegistry, { provide: AppMetrics, useValue: metrics }, { provide: APP_INFO, useValue: info }],
      exports: [HealthRegistry, AppMetrics],
    };
  }
}
