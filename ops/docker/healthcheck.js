// Container health check (Dockerfile HEALTHCHECK and docker-compose): GET /health/live on the app's management port.
// Usage: node ops/docker/healthcheck.js [url]   (default: http://127.0.0.1:<MANAGEMENT_PORT or $APP's default>/health/live)
/* global fetch, AbortSignal */
'use strict';

// The apps' MANAGEMENT_PORT defaults (libs/config managementPortSpec).
const DEFAULT_PORTS = { 'api-gateway': 9000, 'user-service': 9001, 'task-service': 9002, 'audit-service': 9003 };
const port = process.env.MANAGEMENT_PORT || DEFAULT_PORTS[process.env.APP] || 9000;
const url = process.argv[2] || `http://127.0.0.1:${port}/health/live`;

fetch(url, { signal: AbortSignal.timeout(4000) })
  .then((response) => process.exit(response.ok ? 0 : 1))
  .catch(() => process.exit(1));
