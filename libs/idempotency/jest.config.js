module.exports = { ...require('../../jest.preset'), displayName: 'idempotency', rootDir: __dirname };
