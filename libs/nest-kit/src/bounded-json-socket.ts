import { JsonSocket } from '@nestjs/microservices';
import type { Socket } from 'node:net';

/** A frame over the limit: its connection is destroyed (the peer may not be trusted to read a FIN). */
export class RpcFrameTooLargeError extends Error {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`RPC frame of ${size} characters exceeds the limit of ${limit}`);
    this.name = 'RpcFrameTooLargeError';
  }
}

/**
 * Nest's TCP framing (`<length>#<json>`) with a cap on one frame, in characters of its JSON text: a frame whose
 * declared length exceeds `maxFrameBytes`, or a buffer that grows past it, destroys the connection at once, so an
 * unauthenticated peer cannot make the service hold a 60 MB frame (issue 12). Every framing error destroys the
 * socket; Nest's own answer to an oversized buffer was a half-close that went on reading.
 */
export class BoundedJsonSocket extends JsonSocket {
  constructor(
    socket: Socket,
    private readonly maxFrameBytes: number,
  ) {
    super(socket, { maxBufferSize: maxFrameBytes });
  }

  protected override handleData(data: Buffer | string): void {
    super.handleData(data);
    // JsonSocket keeps the length it parsed from the header until the frame is complete. Read here so a declared
    // 60 MB frame is refused with its first chunk; the buffer cap above holds even if Nest renames the field.
    const declared = (this as unknown as { contentLength?: number | null }).contentLength;
    if (typeof declared === 'number' && declared > this.maxFrameBytes) {
      throw new RpcFrameTooLargeError(declared, this.maxFrameBytes);
    }
  }

  protected override handleDataError(error: unknown): void {
    super.handleDataError(error, { destroy: true });
  }
}
