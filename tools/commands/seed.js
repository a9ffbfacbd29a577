// `node tools/run.js seed` (`npm run seed`): see user-service-command.js.
'use strict';

module.exports = (args, kit) => require('./user-service-command.js')('seed', args, kit);
