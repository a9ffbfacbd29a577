module.exports = { ...require('../../jest.preset'), displayName: 'nest-kit', rootDir: __dirname };
