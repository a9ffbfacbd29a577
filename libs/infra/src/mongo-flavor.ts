/**
 * Whether the MongoDB of this run is the mongo-java-server stand-in (no TTL deletion, no transactions,
 * no change streams). Set by the resolver / Jest global setup in TASKFLOW_MONGO_STANDIN and
 * TASKFLOW_MONGO_PROVIDER.
 */
export function isMongoStandIn(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.TASKFLOW_MONGO_STANDIN !== undefined) return env.TASKFLOW_MONGO_STANDIN === 'true';
  return env.TASKFLOW_MONGO_PROVIDER === 'mongo-java-server';
}

export function mongoProvider(env: NodeJS.ProcessEnv = process.env): string {
  return env.TASKFLOW_MONGO_PROVIDER ?? 'unknown';
}
