module.exports = { ...require('../../jest.preset'), displayName: 'cache', rootDir: __dirname };
