module.exports = { ...require('../../jest.preset'), displayName: 'user-service', rootDir: __dirname };
