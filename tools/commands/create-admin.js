// `node tools/run.js create-admin` (`npm run create-admin`): see user-service-command.js.
'use strict';

module.exports = (args, kit) => require('./user-service-command.js')('create-admin', args, kit);
