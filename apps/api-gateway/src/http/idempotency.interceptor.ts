import {
  CallHandler,
  ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  NestInterceptor,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CacheKeys, CacheTtl, hashOf } from '@taskflow/cache';
import { IDEMPOTENCY_KEY_FORMAT, IdempotencyErrorCodes } from '@taskflow/contracts';
import { AppError, HTTP_STATUS_BY_KIND } from '@taskflow/nest-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { from, Observable, of } from 'rxjs';
import { catchError, mergeMap } from 'rxjs/operators';
import { AuthedRequest } from '../auth/auth.decorators';
import { LOGGER, REDIS } from '../infrastructure/redis.module';
import { ProblemException } from './problem.exception';

export const NO_IDEMPOTENCY = 'gateway:no-idempotency';
/** Marks a POST route that must not store its responses (they carry secrets, e.g. tokens). */
export const NoIdempotency = () => SetMetadata(NO_IDEMPOTENCY, true);

/**
 * `Idempotency-Key` support for one POST route. Per route rather than global: a global interceptor
 * wraps every request, GETs included, in Nest's rxjs pipeline (~5 % of a cached GET in a CPU profile).
 * Every POST route carries this or `@NoIdempotency()` (checked by idempotency-routes.spec.ts).
 */
export const Idempotent = () => UseInterceptors(IdempotencyInterceptor);

/**
 * `pending`: a request with the key is running. `done`: its response, replayed as is. `in-doubt`: it failed
 * in a way that may have taken effect (timeout, lost connection, 5xx); a retry goes to the service, whose
 * record of the key (committed with the write) answers it.
 */
interface IdempotencyRecord {
  state: 'pending' | 'done' | 'in-doubt';
  fingerprint: string;
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const forwardedKeys = new WeakMap<FastifyRequest, string>();

/** The validated Idempotency-Key of an `@Idempotent()` route, for the service call (`RpcContext.idempotencyKey`). */
export function forwardedIdempotencyKey(request: FastifyRequest): string | undefined {
  return forwardedKeys.get(request);
}

/** Only a 4xx (the request was refused as a whole, nothing committed) frees the key for another attempt. */
export function definitelyNotApplied(error: unknown): boolean {
  let status: number | undefined;
  if (error instanceof AppError) status = HTTP_STATUS_BY_KIND[error.kind];
  else if (error instanceof ProblemException) status = error.status;
  else if (error instanceof HttpException) status = error.getStatus();
  return status !== undefined && status >= 400 && status < 500;
}

const LOCK_SECONDS = 60;
const WAIT_MS = 5000;
const REPLAYED_HEADERS = ['etag', 'location'];

/**
 * `Idempotency-Key` on POST (draft-ietf-httpapi-idempotency-key-header): the first response is
 * stored for 24 h and replayed for the same key and body; another body → 422. A SET NX lock makes
 * concurrent requests with one key run the operation once; the others wait for its response.
 * Redis is the fast path; the source of truth is the service, which records the key (also forwarded
 * when Redis is down) in the write's transaction, so an ambiguous failure never leads to a second write.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || key === undefined) return next.handle();
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY_FORMAT.test(key)) {
      throw new ProblemException(
        400,
        IdempotencyErrorCodes.invalidKey,
        'Idempotency-Key must be 1-255 visible ASCII characters.',
      );
    }
    forwardedKeys.set(request, key);
    if (this.redis.status !== 'ready') {
      this.logger.warn('redis unavailable: Idempotency-Key enforced by the service only');
      return next.handle();
    }
    const redisKey = CacheKeys.idempotency(request.user?.id ?? `ip-${request.ip.replace(/:/g, '_')}`, key);
    const fingerprint = hashOf({ method: request.method, url: request.url, body: request.body ?? null });
    const pending: IdempotencyRecord = { state: 'pending', fingerprint };
    const claimed = await this.redis.set(redisKey, JSON.stringify(pending), 'EX', LOCK_SECONDS, 'NX').catch(() => 'OK');
    if (claimed !== 'OK') {
      const earlier = await this.replay(redisKey, fingerprint, reply);
      if (earlier.state === 'done') return of(earlier.body);
      // In doubt: the service answers from its record of the key (the original result, or a first run).
    }

    const status = this.reflector.get<number>('__httpCode__', context.getHandler()) ?? 201;
    return next.handle().pipe(
      mergeMap((body) => from(this.store(redisKey, fingerprint, status, body, reply)).pipe(mergeMap(() => of(body)))),
      catchError((error) =>
        from(this.settleFailure(redisKey, fingerprint, error)).pipe(
          mergeMap(() => {
            throw error;
          }),
        ),
      ),
    );
  }

  /** A refused request frees the key; any other failure leaves it in doubt for the service to resolve. */
  private async settleFailure(redisKey: string, fingerprint: string, error: unknown): Promise<void> {
    if (definitelyNotApplied(error)) {
      await this.redis.del(redisKey).catch(() => 0);
      return;
    }
    const record: IdempotencyRecord = { state: 'in-doubt', fingerprint };
    await this.redis.set(redisKey, JSON.stringify(record), 'EX', CacheTtl.idempotency).catch(() => undefined);
  }

  private async store(redisKey: string, fingerprint: string, status: number, body: unknown, reply: FastifyReply) {
    const headers = Object.fromEntries(
      REPLAYED_HEADERS.map((name) => [name, reply.getHeader(name)]).filter(([, value]) => typeof value === 'string'),
    ) as Record<string, string>;
    const record: IdempotencyRecord = { state: 'done', fingerprint, status, body, headers };
    await this.redis.set(redisKey, JSON.stringify(record), 'EX', CacheTtl.idempotency).catch(() => undefined);
  }

  /** Waits for a pending request with the key; answers its stored response, or says the key is in doubt. */
  private async replay(
    redisKey: string,
    fingerprint: string,
    reply: FastifyReply,
  ): Promise<{ state: 'done'; body: unknown } | { state: 'in-doubt' }> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const raw = await this.redis.get(redisKey).catch(() => null);
      const record = raw ? (JSON.parse(raw) as IdempotencyRecord) : undefined;
      if (record && record.fingerprint !== fingerprint) {
        throw new ProblemException(
          422,
          IdempotencyErrorCodes.keyReused,
          'This Idempotency-Key was used with a different request.',
        );
      }
      if (record?.state === 'done') {
        void reply.headers({ ...record.headers, 'Idempotency-Replayed': 'true' });
        return { state: 'done', body: record.body };
      }
      if (record?.state === 'in-doubt') return { state: 'in-doubt' };
      if (!record || Date.now() > deadline) {
        throw new ProblemException(
          409,
          IdempotencyErrorCodes.inProgress,
          'A request with this Idempotency-Key is in progress.',
          {
            'Retry-After': '1',
          },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
