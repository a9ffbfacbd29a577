// `node tools/run.js token-keys`: prints a fresh ES256 key pair as .env lines (JWT_PRIVATE_KEY with its newlines
// escaped, JWT_PRIVATE_KEY_ID, JWT_PUBLIC_KEYS) and fresh email-encryption keys (PII_*), for docker-compose (`>> .env`) or a Kubernetes Secret.
'use strict';

module.exports = async (_args, kit) => {
  const keys = kit.infra().generateSigningKeyEnv();
  console.log(`JWT_PRIVATE_KEY='${keys.JWT_PRIVATE_KEY.trim().replace(/\n/g, '\\n')}'`);
  console.log(`JWT_PRIVATE_KEY_ID=${keys.JWT_PRIVATE_KEY_ID}`);
  console.log(`JWT_PUBLIC_KEYS='${keys.JWT_PUBLIC_KEYS}'`);
  for (const [name, value] of Object.entries(kit.infra().generateFieldEncryptionKeyEnv())) {
    console.log(`${name}='${value}'`);
  }
  return 0;
};
