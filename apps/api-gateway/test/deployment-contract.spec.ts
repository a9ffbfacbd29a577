import { describeDeploymentContract } from '@taskflow/ops/testing';
import { loadGatewayConfig } from '../src/config/gateway.config';

// Every api-gateway container (Deployment, compose service) starts with a configuration its loader accepts.
describeDeploymentContract('api-gateway', { 'node dist/apps/api-gateway/src/main.js': loadGatewayConfig });
