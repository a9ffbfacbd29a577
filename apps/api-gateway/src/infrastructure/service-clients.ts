import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { isRpcErrorBody, RpcContext, RpcRequest } from '@taskflow/contracts';
import { AppError } from '@taskflow/nest-kit';
import { firstValueFrom, timeout } from 'rxjs';
import { GATEWAY_CONFIG, GatewayConfig } from '../config/gateway.config';

/** Request/reply to one service with a deadline; failures become AppErrors the problem filter maps. */
export class RpcClient {
  constructor(
    readonly name: string,
    private readonly proxy: ClientProxy,
    private readonly timeoutMs: number,
  ) {}

  async send<T>(pattern: string, data: unknown, context: RpcContext): Promise<T> {
    const request: RpcRequest<unknown> = { context, data };
    try {
      return await firstValueFrom(this.proxy.send<T>(pattern, request).pipe(timeout(this.timeoutMs)));
    } catch (error) {
      if (isRpcErrorBody(error)) throw AppError.fromRpcBody(error);
      throw new AppError('unavailable', 'SERVICE.UNAVAILABLE', `The ${this.name} is unavailable, try again later.`);
    }
  }

  close(): Promise<void> {
    return Promise.resolve(this.proxy.close());
  }
}

@Injectable()
export class ServiceClients implements OnApplicationShutdown {
  readonly users: RpcClient;
  readonly tasks: RpcClient;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    const { user, task, timeoutMs } = config.services;
    this.users = new RpcClient(
      'user service',
      ClientProxyFactory.create({ transport: Transport.TCP, options: user }),
      timeoutMs,
    );
    this.tasks = new RpcClient(
      'task service',
      ClientProxyFactory.create({ transport: Transport.TCP, options: task }),
      timeoutMs,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.users.close(), this.tasks.close()]);
  }
}
