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
  /**
   * Most simultaneous connections; more are closed as they arrive. With the frame cap this bounds what anonymous
   * peers can make the service buffer (64 × 1 MiB). The gateway holds one connection per replica.
   */
  maxConnections: number;
}

/**
 * RPC_MAX_FRAME_BYTES (default 1 MiB), RPC_IDLE_TIMEOUT_MS (default 60 s; the gateway reconnects on its next call)
 * and RPC_MAX_CONNECTIONS (default 64).
 */
export function rpcTransportSpec(): { [K in keyof RpcTransportLimits]: Reader<RpcTransportLimits[K]> } {
  return {
    maxFrameBytes: env.int('RPC_MAX_FRAME_BYTES', 1024 * 1024, { min: 1024, max: 64 * 1024 * 1024 }),
    idleTimeoutMs: env.int('RPC_IDLE_TIMEOUT_MS', 60_000, { min: 1000, max: 3_600_000 }),
    maxConnections: env.int('RPC_MAX_CONNECTIONS', 64, { min: 1, max: 10_000 }),
  };
}
