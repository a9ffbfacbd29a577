import type { CacheResult } from '@taskflow/cache';

/** RFC 9211 Cache-Status value for the gateway's cache. */
export function cacheStatus(result: CacheResult): string {
  if (result === 'hit') return 'taskflow-gateway; hit';
  if (result === 'miss') return 'taskflow-gateway; fwd=miss; stored';
  return 'taskflow-gateway; fwd=bypass';
}

/** Strong ETag of a resource version. */
export function etagOf(version: number): string {
  return `"v${version}"`;
}

/** The version an ETag names, or undefined for anything else (including weak tags: If-Match is strong). */
export function versionOf(etag: string): number | undefined {
  const match = /^"v(\d{1,15})"$/.exec(etag.trim());
  return match ? Number(match[1]) : undefined;
}

/** RFC 9110 If-None-Match: `*` or any listed tag (weak comparison) matching the current one. */
export function noneMatch(header: string | undefined, version: number): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const current = etagOf(version);
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === current);
}

/**
 * The version a write must find, from If-Match: a number, `any` for `*`, undefined when absent,
 * or `unmatchable` when the header names no version of ours (the write must then fail with 412).
 */
export function ifMatchVersion(header: string | undefined): number | 'any' | 'unmatchable' | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === '*') return 'any';
  const versions = header.split(',').map(versionOf);
  const first = versions.find((v) => v !== undefined);
  return versions.length === 1 && first !== undefined ? first : 'unmatchable';
}
