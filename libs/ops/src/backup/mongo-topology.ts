/**
 * Prints `replset` when MONGO_URL points at a replica set member (mongodump --oplog is possible),
 * `standalone` otherwise. Exits 2 when the server cannot be reached.
 */
import { MongoClient } from 'mongodb';

export async function mongoTopology(url: string): Promise<'replset' | 'standalone'> {
  const client = new MongoClient(url, {
    serverSelectionTimeoutMS: 5_000,
    directConnection: !url.includes('replicaSet='),
  });
  try {
    await client.connect();
    const hello = await client.db('admin').command({ hello: 1 });
    return hello.setName ? 'replset' : 'standalone';
  } finally {
    await client.close();
  }
}

if (require.main === module) {
  mongoTopology(process.env.MONGO_URL ?? process.argv[2] ?? 'mongodb://127.0.0.1:27017')
    .then((topology) => console.log(topology))
    .catch((error: Error) => {
      console.error(`cannot reach MongoDB: ${error.message}`);
      process.exit(2);
    });
}
