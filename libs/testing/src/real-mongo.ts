import { isMongoStandIn, mongoProvider } from '@taskflow/infra';

/**
 * For tests that need a real mongod (TTL deletion, transactions, change streams). Returns true when the test
 * must be skipped because MongoDB is the mongo-java-server stand-in, and prints why — never silently green.
 *
 *   const skipTtl = requireRealMongo('TTL monitor deletes expired event_logs');
 *   (skipTtl ? it.skip : it)('deletes expired records', ...);
 */
export function requireRealMongo(reason: string): boolean {
  if (!isMongoStandIn()) return false;
  console.log(
    `[skip] needs a real mongod (${reason}); MongoDB here is ${mongoProvider()} (mongo-java-server stand-in: ` +
      'no TTL deletion, no transactions, no change streams). Runs where MONGO_URL points at mongod or Docker is available.',
  );
  return true;
}
