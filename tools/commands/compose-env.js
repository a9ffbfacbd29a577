// `node tools/run.js compose-env > .env`: every secret docker-compose.yml requires, fresh, as .env lines — the token
// and email-encryption keys (token-keys), the event-signing keys (event-keys), the RPC CA and certificates (rpc-certs),
// the services' database role passwords (database-passwords), the Kafka SCRAM passwords, audit-service's checkpoint key, and the PostgreSQL superuser
// password. One command instead of one per secret; libs/ops/test/compose-env.spec.ts checks it covers every
// `${NAME:?…}` of docker-compose.yml.
'use strict';

const { randomBytes } = require('node:crypto');

const KAFKA_PRINCIPALS = ['ADMIN', 'USER_SERVICE', 'TASK_SERVICE', 'AUDIT_SERVICE', 'BACKUP'];
const secret = (bytes) => randomBytes(bytes).toString('base64url');

module.exports = async (args, kit) => {
  for (const command of ['token-keys', 'event-keys', 'rpc-certs', 'database-passwords']) {
    const code = await require(`./${command}.js`)(args, kit);
    if (code !== 0) return code;
  }
  for (const principal of KAFKA_PRINCIPALS) console.log(`KAFKA_${principal}_PASSWORD=${secret(24)}`);
  console.log(`AUDIT_CHECKPOINT_KEY=${secret(48)}`);
  console.log(`POSTGRES_PASSWORD=${secret(24)}`);
  return 0;
};
