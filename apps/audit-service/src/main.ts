import { createLogger, listen } from '@taskflow/nest-kit';
import { APP_NAME } from './app.module';
import { startAuditApp } from './bootstrap';
import { loadAuditConfig } from './config/audit.config';

async function bootstrap(): Promise<void> {
  const config = loadAuditConfig();
  const logger = createLogger(APP_NAME, config.logLevel);
  // createHttpApp drains on SIGTERM (readiness 503, drain delay), then app.close(): HTTP, the consumer, the clients.
  const app = await startAuditApp(config, logger);
  const { host, port, managementPort } = config.http;
  await listen(app, { public: { host, port }, management: { host, port: managementPort } }, logger);
}

bootstrap().catch((error) => {
  console.error(error);
  process.exit(1);
});
