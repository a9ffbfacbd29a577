module.exports = { ...require('../../jest.preset'), displayName: 'audit-service', rootDir: __dirname };
