import { createHttpApp, createLogger, listen } from '@taskflow/nest-kit';
import { APP_NAME, createAppModule } from './app.module';
import { loadAuditConfig } from './config/audit.config';

async function bootstrap(): Promise<void> {
  const config = loadAuditConfig();
  const logger = createLogger(APP_NAME, config.logLevel);
  // enableShutdownHooks (createHttpApp) turns SIGTERM into app.close(): consumer.disconnect, then the clients.
  const app = await createHttpApp(createAppModule(config, logger), { logger });
  await listen(app, config.http.port, config.http.host, logger);
}

bootstrap().catch((error) => {
  console.error(error);
  process.exit(1);
});
