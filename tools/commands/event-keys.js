// `node tools/run.js event-keys`: prints fresh Ed25519 event-signing keys as .env lines, one per producer
// (USER_SERVICE_EVENT_SIGNING_KEY + _ID, TASK_SERVICE_…, AUDIT_SERVICE_…, BACKUP_…; PEM newlines escaped) and the
// EVENT_VERIFY_KEYS JWK Set audit-service verifies them with (each key with the topics it may sign), for
// docker-compose (`>> .env`) or the Kubernetes Secret (same names).
'use strict';

module.exports = async (_args, kit) => {
  for (const [name, value] of Object.entries(kit.infra().eventKeySecrets())) {
    console.log(`${name}='${value.trim().replace(/\n/g, '\\n')}'`);
  }
  return 0;
};
