// `node tools/run.js database-passwords`: prints fresh passwords for the services' PostgreSQL roles as .env lines
// (owner and runtime role of user-service and task-service), for docker-compose (`>> .env`) or a Kubernetes Secret.
// Base64url: safe inside the connection strings built from them.
'use strict';

const { randomBytes } = require('node:crypto');

const VARIABLES = [
  'USER_SERVICE_DB_OWNER_PASSWORD',
  'USER_SERVICE_DB_PASSWORD',
  'TASK_SERVICE_DB_OWNER_PASSWORD',
  'TASK_SERVICE_DB_PASSWORD',
];

module.exports = async () => {
  for (const name of VARIABLES) console.log(`${name}=${randomBytes(24).toString('base64url')}`);
  return 0;
};
