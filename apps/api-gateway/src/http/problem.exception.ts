import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { problem, ProblemDetailsFilter } from '@taskflow/nest-kit';
import type { FastifyReply } from 'fastify';

/** An HTTP-only failure whose status has no RPC error kind (422, 429, 503 with Retry-After...). */
export class ProblemException extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

/** A problem+json another service answered, passed on to the caller as it is (status, body, headers). */
export class UpstreamProblem extends Error {
  constructor(
    readonly status: number,
    readonly body: object,
    readonly headers: Record<string, string> = {},
  ) {
    super(`upstream problem ${status}`);
  }
}

/** Sends ProblemExceptions and UpstreamProblems itself and leaves every other error to nest-kit's problem filter. */
@Catch()
export class GatewayProblemFilter implements ExceptionFilter {
  constructor(private readonly fallback: ProblemDetailsFilter) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof UpstreamProblem) {
      void reply.status(exception.status).headers(exception.headers).send(exception.body);
      return;
    }
    if (!(exception instanceof ProblemException)) return this.fallback.catch(exception, host);
    void reply
      .status(exception.status)
      .headers(exception.headers)
      .header('content-type', 'application/problem+json')
      .send(problem(exception.status, exception.code, exception.message));
  }
}
