import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/** The repository root (libs/ops/src/testing -> ../../../..). */
export const REPO_ROOT = path.resolve(__dirname, '../../../..');

export function repoPath(...parts: string[]): string {
  return path.join(REPO_ROOT, ...parts);
}

export function readRepoFile(...parts: string[]): string {
  return fs.readFileSync(repoPath(...parts), 'utf8');
}

/** Parses one YAML document; `merge` enables `<<:` keys as docker compose does. */
export function readYaml<T = unknown>(...parts: string[]): T {
  return parse(readRepoFile(...parts), { merge: true }) as T;
}

/** Parses a multi-document YAML stream, failing on any document error. */
export function parseYamlStream(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`YAML error: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as Record<string, unknown> | null;
    return value ? [value] : [];
  });
}

/** An image reference is pinned when it has an explicit tag other than `latest` (or a digest). */
export function isPinnedImage(image: string): boolean {
  if (image.includes('@sha256:')) return true;
  const lastSegment = image.split('/').pop() ?? '';
  const colon = lastSegment.lastIndexOf(':');
  if (colon < 0) return false;
  const tag = lastSegment.slice(colon + 1);
  return tag.length > 0 && tag !== 'latest' && !tag.includes('$');
}
