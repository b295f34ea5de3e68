// Native ES modules (the project and its dependencies are ESM), TypeScript through SWC.
/** @type {import('jest').Config} */
export default {
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'es6' },
      },
    ],
  },
  testEnvironment: 'node',
  // One timeout for tests and hooks alike: a hook may start the emulators and Chromium.
  testTimeout: 120_000,
  // Chromium and the emulators are heavy; two cores run two files at a time.
  maxWorkers: 2,
  setupFiles: ['<rootDir>/test/support/jest-env.ts'],
};
