import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppMetrics, managementServer } from '@taskflow/nest-kit';

/** /health/ready of an app started with startApp: the status, the HTTP code and each failing check's error. */
export async function readiness(app: NestFastifyApplication) {
  const reply = await managementServer(app).server.inject({ method: 'GET', url: '/health/ready' });
  const body = reply.json<{ status: string; checks: { name: string; status: string; error?: string }[] }>();
  const checks = Object.fromEntries(body.checks.filter((c) => c.status !== 'up').map((c) => [c.name, c.error]));
  return { status: body.status, statusCode: reply.statusCode, checks };
}

/**
 * A per-partition gauge of `topic`, summed (`max: true`: the largest) over its partitions; undefined before
 * the first sample.
 */
export async function gauge(app: NestFastifyApplication, name: string, topic: string, { max = false } = {}) {
  const metric = await app.get(AppMetrics).registry.getSingleMetric(name)?.get();
  const values = (metric?.values ?? []).filter((v) => v.labels.topic === topic).map((v) => v.value);
  if (values.length === 0) return undefined;
  return max ? Math.max(...values) : values.reduce((sum, value) => sum + value, 0);
}
