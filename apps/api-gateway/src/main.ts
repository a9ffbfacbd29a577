import { createLogger, listen } from '@taskflow/nest-kit';
import { loadGatewayConfig } from './config/gateway.config';
import { createGateway } from './gateway';

async function bootstrap(): Promise<void> {
  const config = loadGatewayConfig();
  const logger = createLogger('api-gateway', config.logLevel);
  const app = await createGateway(config, logger);
  const { host, port, managementPort } = config.http;
  await listen(app, { public: { host, port }, management: { host, port: managementPort } }, logger);
}

bootstrap().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
