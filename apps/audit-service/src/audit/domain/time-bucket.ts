import { TimeBucket } from '@taskflow/contracts';

export { TimeBucket };

const HOUR_MS = 3_600_000;
export const BUCKET_MS: Record<TimeBucket, number> = { hour: HOUR_MS, day: 24 * HOUR_MS, week: 7 * 24 * HOUR_MS };

/** Weeks start on Monday 00:00 UTC (ISO-8601); 1970-01-05 is the first Monday after the epoch. */
export const WEEK_ORIGIN_MS = Date.UTC(1970, 0, 5);

/** Start of the UTC bucket containing `at`. The aggregation pipeline computes the same arithmetic server-side. */
export function bucketStart(at: Date, bucket: TimeBucket): Date {
  const origin = bucket === 'week' ? WEEK_ORIGIN_MS : 0;
  const size = BUCKET_MS[bucket];
  const offset = (((at.getTime() - origin) % size) + size) % size;
  return new Date(at.getTime() - offset);
}
