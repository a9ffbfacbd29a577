// `node tools/run.js rotate-pii-key` (`npm run rotate-pii-key`): see user-service-command.js.
'use strict';

module.exports = (args, kit) => require('./user-service-command.js')('rotate-pii-key', args, kit);
