import {
  CallHandler,
  ExecutionContext,
  Inject,
  Injectable,
  NestInterceptor,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CacheKeys, CacheTtl, hashOf } from '@taskflow/cache';
import type { FastifyReply } from 'fastify';
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

interface IdempotencyRecord {
  state: 'pending' | 'done';
  fingerprint: string;
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;
const LOCK_SECONDS = 60;
const WAIT_MS = 5000;
const REPLAYED_HEADERS = ['etag', 'location'];

/**
 * `Idempotency-Key` on POST (draft-ietf-httpapi-idempotency-key-header): the first response is
 * stored for 24 h and replayed for the same key and body; another body → 422. A SET NX lock makes
 * concurrent requests with one key run the operation once; the others wait for its response.
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
    if (typeof key !== 'string' || !KEY_FORMAT.test(key)) {
      throw new ProblemException(
        400,
        'IDEMPOTENCY.INVALID_KEY',
        'Idempotency-Key must be 1-255 visible ASCII characters.',
      );
    }
    if (this.redis.status !== 'ready') {
      this.logger.warn('redis unavailable: Idempotency-Key not enforced');
      return next.handle();
    }
    const redisKey = CacheKeys.idempotency(request.user?.id ?? `ip-${request.ip.replace(/:/g, '_')}`, key);
    const fingerprint = hashOf({ method: request.method, url: request.url, body: request.body ?? null });
    const pending: IdempotencyRecord = { state: 'pending', fingerprint };
    const claimed = await this.redis.set(redisKey, JSON.stringify(pending), 'EX', LOCK_SECONDS, 'NX').catch(() => 'OK');
    if (claimed !== 'OK') return of(await this.replay(redisKey, fingerprint, reply));

    const status = this.reflector.get<number>('__httpCode__', context.getHandler()) ?? 201;
    return next.handle().pipe(
      mergeMap((body) => from(this.store(redisKey, fingerprint, status, body, reply)).pipe(mergeMap(() => of(body)))),
      catchError((error) =>
        // A failed operation is not stored: the client may retry it with the same key.
        from(this.redis.del(redisKey).catch(() => 0)).pipe(
          mergeMap(() => {
            throw error;
          }),
        ),
      ),
    );
  }

  private async store(redisKey: string, fingerprint: string, status: number, body: unknown, reply: FastifyReply) {
    const headers = Object.fromEntries(
      REPLAYED_HEADERS.map((name) => [name, reply.getHeader(name)]).filter(([, value]) => typeof value === 'string'),
    ) as Record<string, string>;
    const record: IdempotencyRecord = { state: 'done', fingerprint, status, body, headers };
    await this.redis.set(redisKey, JSON.stringify(record), 'EX', CacheTtl.idempotency).catch(() => undefined);
  }

  private async replay(redisKey: string, fingerprint: string, reply: FastifyReply): Promise<unknown> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const raw = await this.redis.get(redisKey).catch(() => null);
      const record = raw ? (JSON.parse(raw) as IdempotencyRecord) : undefined;
      if (record && record.fingerprint !== fingerprint) {
        throw new ProblemException(
          422,
          'IDEMPOTENCY.KEY_REUSED',
          'This Idempotency-Key was used with a different request.',
        );
      }
      if (record?.state === 'done') {
        void reply.headers({ ...record.headers, 'Idempotency-Replayed': 'true' });
        return record.body;
      }
      if (!record || Date.now() > deadline) {
        throw new ProblemException(
          409,
          'IDEMPOTENCY.IN_PROGRESS',
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
