// The user-service commands run from the source tree (`npm run seed`, `npm run create-admin -- …`,
// `npm run rotate-pii-key`), with this checkout's local email-encryption keys (.infra/secrets, the ones `npm start`
// gives user-service) unless the environment brings its own: emails they write must be readable by the service.
'use strict';

const { spawn } = require('node:child_process');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');

/** Runs apps/user-service/src/<script>.ts with `args`, stdin/stdout inherited; resolves to its exit code. */
module.exports = function runUserServiceCommand(script, args, kit) {
  const env = { ...kit.infra().ensureLocalFieldEncryptionKeys(kit.infra().infraDir()), ...process.env };
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', path.join(ROOT, 'apps/user-service/src', `${script}.ts`), ...args],
    { stdio: 'inherit', env },
  );
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
};
