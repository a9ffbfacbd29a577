import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HealthRegistry, rpcClientTlsOptions } from '@taskflow/nest-kit';
import { connect } from 'node:net';
import { connect as tlsConnect, ConnectionOptions } from 'node:tls';
import { GATEWAY_CONFIG, GatewayConfig } from '../config/gateway.config';

/**
 * Resolves when a connection to host:port opens (then closes it); rejects on refusal or timeout. With `tls`, the
 * TLS handshake must complete too: the service's certificate is trusted and names `host` (an expired or wrong
 * certificate fails readiness instead of every call).
 */
export function tcpReachable(host: string, port: number, timeoutMs = 1000, tls?: ConnectionOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tls
      ? tlsConnect({ ...tls, host, port, timeout: timeoutMs })
      : connect({ host, port, timeout: timeoutMs });
    socket.once(tls ? 'secureConnect' : 'connect', () => {
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
    const { user, task, tls } = this.config.services;
    const tlsOptions = rpcClientTlsOptions(tls);
    for (const [name, target] of [
      ['user-service', user],
      ['task-service', task],
    ] as const) {
      this.health.register({
        name,
        kind: 'service',
        check: () => tcpReachable(target.host, target.port, 1000, tlsOptions),
      });
    }
  }
}
