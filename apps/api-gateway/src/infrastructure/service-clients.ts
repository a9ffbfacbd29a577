import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { CommonErrorCodes, isRpcErrorBody, RpcContext, RpcDefinition, RpcRequest } from '@taskflow/contracts';
import { AppError, RPC_AUDIENCE, rpcClientTlsOptions } from '@taskflow/nest-kit';
import { CallCredentials } from '../auth/call-credentials';
import { firstValueFrom, timeout } from 'rxjs';
import { GATEWAY_CONFIG, GatewayConfig } from '../config/gateway.config';

/** Request/reply to one service with a deadline; failures become AppErrors the problem filter maps. */
export class RpcClient {
  constructor(
    readonly name: string,
    private readonly audience: string,
    private readonly proxy: ClientProxy,
    private readonly credentials: CallCredentials,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Sends `data` of the operation `rpc` (a `TaskRpc`/`UserRpc` definition) with the request facts of `context`; the actor and session travel only inside the credential
   * minted for this service. A refused credential is our own misconfiguration (keys out of step), never the
   * client's: it is answered as the service being unavailable.
   */
  async call<Req extends object, Res>(rpc: RpcDefinition<Req, Res>, data: Req, context: RpcContext): Promise<Res> {
    const { actor: _actor, sessionId: _sessionId, ...facts } = context;
    const credential = this.credentials.for(this.audience, context);
    const request: RpcRequest<Req> = { context: { credential, ...facts }, data };
    try {
      return await firstValueFrom(this.proxy.send<Res>(rpc.pattern, request).pipe(timeout(this.timeoutMs)));
    } catch (error) {
      if (isRpcErrorBody(error) && error.code !== CommonErrorCodes.credentialInvalid) throw AppError.fromRpcBody(error);
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

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig, credentials: CallCredentials) {
    const { user, task, tls, timeoutMs } = config.services;
    // Mutual TLS when RPC_TLS is on: the gateway's client certificate, each service's checked against the host dialled.
    const tlsOptions = rpcClientTlsOptions(tls);
    this.users = new RpcClient(
      'user service',
      RPC_AUDIENCE.user,
      ClientProxyFactory.create({ transport: Transport.TCP, options: { ...user, tlsOptions } }),
      credentials,
      timeoutMs,
    );
    this.tasks = new RpcClient(
      'task service',
      RPC_AUDIENCE.task,
      ClientProxyFactory.create({ transport: Transport.TCP, options: { ...task, tlsOptions } }),
      credentials,
      timeoutMs,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.users.close(), this.tasks.close()]);
  }
}
