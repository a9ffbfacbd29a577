module.exports = { ...require('../../jest.preset'), displayName: 'service-chassis', rootDir: __dirname };
