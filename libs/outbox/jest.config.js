module.exports = { ...require('../../jest.preset'), displayName: 'outbox', rootDir: __dirname };
