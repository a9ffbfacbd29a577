import { SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export const PREFETCH = 'gateway:prefetch';

/** The cache key a route reads first, from its raw request; undefined when there is none to read. */
export type PrefetchKey = (request: FastifyRequest) => string | undefined;

/**
 * Declares the cache key a route will read: the guard reads it in the same Redis round trip as the
 * session and the rate-limit counters, so a cache hit costs one round trip instead of two.
 */
export const PrefetchCache = (key: PrefetchKey) => SetMetadata(PREFETCH, key);

export type PrefetchingRequest = FastifyRequest & { prefetched?: { key: string; raw: string | null } };

/** What the guard read for `key` (a JSON string or null when absent), or undefined when it did not. */
export function prefetched(request: FastifyRequest, key: string): string | null | undefined {
  const entry = (request as PrefetchingRequest).prefetched;
  return entry?.key === key ? entry.raw : undefined;
}
