import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HealthRegistry } from '@taskflow/nest-kit';
import { connect } from 'node:net';
import { GATEWAY_CONFIG, GatewayConfig } from '../config/gateway.config';

/** Resolves when a TCP connection to host:port opens (then closes it); rejects on refusal or timeout. */
export function tcpReachable(host: string, port: number, timeoutMs = 1000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    });
    socket.once('error', (error) => reject(error));
  });
}

/**
 * The user and task services are hard dependencies: without them the gateway cannot answer its API, so
 * readiness fails and the load balancer stops sending traffic here.
 */
@Injectable()
export class UpstreamHealth implements OnModuleInit {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly health: HealthRegistry,
  ) {}

  onModuleInit(): void {
    const { user, task } = this.config.services;
    for (const [name, target] of [
      ['user-service', user],
      ['task-service', task],
    ] as const) {
      this.health.register({ name, kind: 'service', check: () => tcpReachable(target.host, target.port) });
    }
  }
}
