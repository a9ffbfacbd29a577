// Operations project: Dockerfile/compose, Kubernetes manifests, backups and monitoring (tests + tooling).
module.exports = { ...require('../../jest.preset'), displayName: 'ops', rootDir: __dirname };
