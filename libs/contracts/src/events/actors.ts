/**
 * `actorId` values of events that no user caused (seed 001 `actorId` is the acting user's id otherwise).
 * Analysts filter on them: `GET /api/v1/audit/events?actorId=system:create-admin`.
 */
export const SystemActors = {
  /** Scheduled or operational work: backups, maintenance. */
  system: 'system',
  /**
   * The `create-admin` command of user-service: an operator with database access granted the admin or auditor
   * role outside the API (first admin of a deployment, break-glass). Its events carry the command run's
   * correlation id.
   */
  createAdmin: 'system:create-admin',
} as const;

export type SystemActor = (typeof SystemActors)[keyof typeof SystemActors];
