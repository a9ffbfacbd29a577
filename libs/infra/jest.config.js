module.exports = { ...require('../../jest.preset'), displayName: 'infra', rootDir: __dirname };
