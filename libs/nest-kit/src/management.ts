import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { INestApplicationContext } from '@nestjs/common';
import Fastify, { FastifyInstance } from 'fastify';
import { APP_INFO, AppInfo, HealthRegistry } from './health';
import { AppMetrics } from './metrics';
import { problem, toProblem } from './problem-details.filter';

/** A host and port to listen on (port 0: any free port). */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * The management listener: `/health/live`, `/health/ready`, `/health/database`, `/status` and `/metrics`, on a
 * port of their own (MANAGEMENT_PORT) that the probes and the Prometheus scrape use and no ingress routes to.
 * The public port does not serve them (404 problem+json): runtime versions, upstream names and metrics are
 * nobody else's business (issue 12, OWASP API8/API9).
 *
 * A plain Fastify instance next to the Nest app, reading the app's HealthRegistry and AppMetrics. It stays up
 * while the app drains (readiness answers 503 `draining`) and closes last, in the app's shutdown hooks.
 * `server` is public for in-process tests (`server.inject`).
 */
@Injectable()
export class ManagementServer implements OnApplicationShutdown {
  readonly server: FastifyInstance;

  constructor(registry: HealthRegistry, metrics: AppMetrics, @Inject(APP_INFO) info: AppInfo) {
    this.server = Fastify({ logger: false, forceCloseConnections: true });
    routeManagement(this.server, registry, metrics, info);
  }

  async listen({ host, port }: ListenAddress): Promise<void> {
    await this.server.listen({ host, port });
  }

  /** The bound port (useful with port 0). */
  port(): number {
    const address = this.server.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server.close();
  }
}

/** The ManagementServer of an app built with OpsModule (throws for an app without it). */
export function managementServer(app: INestApplicationContext): ManagementServer {
  return app.get(ManagementServer, { strict: false });
}

function routeManagement(server: FastifyInstance, registry: HealthRegistry, metrics: AppMetrics, info: AppInfo): void {
  server.get('/health/live', async () => ({ status: 'ok' }));
  server.get('/health/ready', async (_request, reply) => {
    // A draining instance leaves the balancer whatever its dependencies say; liveness stays 200.
    if (registry.draining) return reply.status(503).send({ status: 'draining', checks: [] });
    const result = await registry.run();
    return reply.status(result.status === 'ok' || result.status === 'degraded' ? 200 : 503).send(result);
  });
  server.get('/health/database', async (_request, reply) => {
    const result = await registry.run('database');
    return reply.status(result.status === 'ok' ? 200 : 503).send(result);
  });
  server.get('/status', async () => ({
    name: info.name,
    version: info.version,
    uptimeSeconds: Math.round((Date.now() - registry.startedAt) / 1000),
    node: process.version,
  }));
  server.get('/metrics', async (_request, reply) =>
    reply.header('content-type', 'text/plain; version=0.0.4').send(await metrics.registry.metrics()),
  );
  server.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .header('content-type', 'application/problem+json')
      .send(problem(404, 'HTTP.404', `Cannot ${request.method} ${request.url.split('?')[0]}`)),
  );
  server.setErrorHandler((error, _request, reply) => {
    const body = toProblem(error);
    return reply.status(body.status).header('content-type', 'application/problem+json').send(body);
  });
  server.addHook('onResponse', (request, reply, done) => {
    metrics.observeHttp(
      request.routeOptions.url ?? 'unmatched',
      request.method,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
}
