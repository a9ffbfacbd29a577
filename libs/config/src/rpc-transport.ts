import { env, Reader } from './env';

/** Limits of a service's RPC listener (user-service, task-service): what one connection may hold. */
export interface RpcTransportLimits {
  /**
   * Largest request frame, in characters of its JSON text (≈ bytes for ASCII JSON). A connection that declares
   * or buffers a larger one is destroyed before the rest arrives: an unauthenticated peer cannot make the service
   * buffer a 60 MB frame. Our largest real request is a few kB.
   */
  maxFrameBytes: number;
  /** A connection that sends nothing for this long (and awaits no reply) is closed, ms. */
  idleTimeoutMs: number;
}

/** RPC_MAX_FRAME_BYTES (default 1 MiB) and RPC_IDLE_TIMEOUT_MS (default 60 s; the gateway reconnects on its next call). */
export function rpcTransportSpec(): { [K in keyof RpcTransportLimits]: Reader<RpcTransportLimits[K]> } {
  return {
    maxFrameBytes: env.int('RPC_MAX_FRAME_BYTES', 1024 * 1024, { min: 1024, max: 64 * 1024 * 1024 }),
    idleTimeoutMs: env.int('RPC_IDLE_TIMEOUT_MS', 60_000, { min: 1000, max: 3_600_000 }),
  };
}
