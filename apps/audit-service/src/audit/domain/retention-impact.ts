/**
 * What a re-stamp does to stored records (issue 13 part 5, retention dry-run). Field names are those of the
 * `audit.retention.changed` payload (`RetentionImpactV1` in libs/contracts).
 */
export interface RetentionImpact {
  earlier: number;
  later: number;
  /** Of `earlier`: the new deadline has passed already, so the record expires on the next TTL pass. */
  expireNow: number;
  unchanged: number;
  /** Held records whose set-aside deadline changes; they do not expire while held. */
  held: number;
}

export function emptyImpact(): RetentionImpact {
  return { earlier: 0, later: 0, expireNow: 0, unchanged: 0, held: 0 };
}

/**
 * Counts one record whose deadline goes from `current` (undefined: none stored) to `next` into `impact`
 * (mutated). A held record counts in `held` only when its set-aside deadline changes. Returns whether the
 * record must be written.
 */
export function countChange(impact: RetentionImpact, current: Date | undefined, next: Date, held: boolean, now: Date) {
  const changed = current?.getTime() !== next.getTime();
  if (!changed) impact.unchanged += 1;
  else if (held) impact.held += 1;
  else if (current === undefined || next < current) {
    impact.earlier += 1;
    if (next <= now) impact.expireNow += 1;
  } else impact.later += 1;
  return changed;
}

export function addImpact(total: RetentionImpact, part: RetentionImpact): void {
  for (const key of Object.keys(total) as (keyof RetentionImpact)[]) total[key] += part[key];
}
