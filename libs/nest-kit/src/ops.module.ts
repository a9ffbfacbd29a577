import { DynamicModule, Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { APP_INFO, AppInfo, HealthRegistry } from './health';
import { ManagementServer } from './management';
import { AppMetrics } from './metrics';

/**
 * Health, status and metrics for one app, served by its ManagementServer (the management port, not the public
 * one). Global, so every module can register checks and metrics and inject terminus's indicators (its
 * TerminusModule is exported). terminus runs the checks without logging: a failed probe is in its answer and in
 * the orchestrator's events, and each dependency's client logs its own errors.
 */
@Global()
@Module({})
export class OpsModule {
  static forApp(info: AppInfo, metrics = new AppMetrics(info.name)): DynamicModule {
    return {
      module: OpsModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      providers: [
        HealthRegistry,
        ManagementServer,
        { provide: AppMetrics, useValue: metrics },
        { provide: APP_INFO, useValue: info },
      ],
      exports: [HealthRegistry, AppMetrics, ManagementServer, TerminusModule],
    };
  }
}
