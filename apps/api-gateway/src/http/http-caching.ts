import type { CacheResult } from '@taskflow/cache';
import { CommonErrorCodes } from '@taskflow/contracts';
import { AppError } from '@taskflow/nest-kit';

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

/** One entity-tag (RFC 9110 §8.8.3): optional `W/`, then a quoted string of etagc (no `"`, space or control byte). */
const ENTITY_TAG = String.raw`(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"`;
/** `#entity-tag` (RFC 9110 §5.6.1): tags separated by commas and optional white space; empty elements allowed. */
const ENTITY_TAG_LIST = new RegExp(String.raw`^[\s,]*${ENTITY_TAG}(?:\s*,[\s,]*${ENTITY_TAG})*[\s,]*$`);

/**
 * The versions a write may find, from If-Match (RFC 9110 §13.1.1): `any` for `*` (the write proceeds whatever
 * the version is), the versions of the strong tags listed (`"v1", "v3"`: any of them may match; weak tags and
 * tags not of ours match nothing, so an empty list must fail with 412), or undefined when the header is absent.
 * A header that is neither `*` nor a comma-separated list of entity-tags (`garbage`, an unclosed quote) is
 * refused: AppError `validation` 400 `REQUEST.VALIDATION_FAILED` naming the `If-Match` header.
 */
export function ifMatchVersions(header: string | undefined): number[] | 'any' | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === '*') return 'any';
  if (!ENTITY_TAG_LIST.test(header)) {
    throw new AppError('validation', CommonErrorCodes.validation, 'If-Match is not `*` or a list of entity-tags.', [
      { field: 'If-Match', reason: 'must be * or a comma-separated list of quoted entity-tags, e.g. "v3"' },
    ]);
  }
  const versions = (header.match(new RegExp(ENTITY_TAG, 'g')) ?? []).map(versionOf);
  return [...new Set(versions.filter((version) => version !== undefined))];
}
