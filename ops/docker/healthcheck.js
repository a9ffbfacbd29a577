// Container health check (Dockerfile HEALTHCHECK and docker-compose): GET /health/live on the app's HTTP port.
// Usage: node ops/docker/healthcheck.js [url]   (default: http://127.0.0.1:<port of $APP>/health/live)
/* global fetch, AbortSignal */
'use strict';

const DEFAULT_PORTS = { 'api-gateway': 3000, 'user-service': 3001, 'task-service': 3002, 'audit-service': 3003 };
const port = process.env.HEALTH_PORT || DEFAULT_PORTS[process.env.APP] || 3000;
const url = process.argv[2] || `http://127.0.0.1:${port}/health/live`;

fetch(url, { signal: AbortSignal.timeout(4000) })
  .then((response) => process.exit(response.ok ? 0 : 1))
  .catch(() => process.exit(1));
