module.exports = { ...require('../../jest.preset'), displayName: 'messaging-kafka', rootDir: __dirname };
