// pkijs 4 and asn1js 4 are ESM-only, and jest's module loader cannot require() ESM, so swc transforms
// them (and our TypeScript) to CommonJS. Type checking happens in `npm run build`, before jest runs.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(pkijs|asn1js|@peculiar|bytestreamjs|@noble)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testTimeout: 60000,
  // SoftHSM2's token directory for the PKCS#11 tests (see the file for why it is set before the workers start).
  globalSetup: '<rootDir>/test/support/softhsm-setup.ts',
  globalTeardown: '<rootDir>/test/support/softhsm-teardown.ts',
};
