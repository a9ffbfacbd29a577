module.exports = { ...require('../../jest.preset'), displayName: 'api-gateway', rootDir: __dirname };
