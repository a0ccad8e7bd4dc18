// One Jest config for the whole repository: ESM mode, TypeScript through @swc/jest,
// workspace packages resolved to their sources so tests never need a build.

// The tests that run the code they test in Jest's own process (unit, property and simulator
// tests): the ones coverage measures (scripts/run-tests.mjs). The rest (test/e2e, test/fuzz, ...)
// drive nodes in child processes, which V8 coverage in Jest's process does not see.
export const inProcessTestMatch = ['<rootDir>/packages/*/test/**/*.test.ts', '<rootDir>/test/sim/**/*.test.ts'];
// The same set as path patterns (regular expressions), to leave it out of a run.
export const inProcessTestPathPatterns = ['<rootDir>/packages/[^/]+/test/', '<rootDir>/test/sim/'];

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
    }],
  },
  moduleNameMapper: {
    '^@ringkv/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/packages/*/test/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 30000,
  // Coverage (on when Jest runs with --coverage, as scripts/run-tests.mjs does): V8's own counters,
  // mapped back to the TypeScript through swc's source maps, over every source file of every
  // package, loaded by a test or not. Code that runs in child processes (the end-to-end tests'
  // nodes) is not seen; only what the tests run in Jest's own workers counts.
  coverageProvider: 'v8',
  collectCoverageFrom: ['packages/*/src/**/*.ts', '!**/*.d.ts'],
  coverageDirectory: '<rootDir>/coverage',
  coverageReporters: ['json-summary', 'html'],
};
