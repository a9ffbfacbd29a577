import { CommonErrorCodes } from '@taskflow/contracts';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { problem } from './problem-details.filter';

/** What Node's HTTP parser rejects before any framework code runs, by its error code. */
const CLIENT_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: CommonErrorCodes.timeout,
    detail: 'The request was not received in time.',
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: CommonErrorCodes.headersTooLarge,
    detail: 'The request line or headers are too large.',
  },
};
const MALFORMED = { status: 400, code: CommonErrorCodes.malformed, detail: 'The request is not valid HTTP/1.1.' };

/**
 * Fastify `clientErrorHandler`: answers what Node's HTTP parser refuses (408 slow request, 431 oversized URL or
 * headers, 400 for a malformed request such as a control byte in a header) in the one error format, RFC 9457
 * problem+json, with the app's static security headers, then closes the connection (the parser state is lost).
 * A reset or already-destroyed socket gets nothing.
 */
export function clientErrorHandler(headers: Record<string, string>) {
  const staticHeaders = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return (error: NodeJS.ErrnoException, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const known = CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED;
    const body = JSON.stringify(problem(known.status, known.code, known.detail));
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${known.status} ${STATUS_CODES[known.status]}\r\n` +
          'Content-Type: application/problem+json\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          'Connection: close\r\n' +
          staticHeaders +
          `\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}
