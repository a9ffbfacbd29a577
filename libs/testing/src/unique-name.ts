import { randomBytes } from 'node:crypto';

/** A name unique to this call (time + random), e.g. for topics, queues, keys: `orders-lx2k9c-3f9a1b`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
