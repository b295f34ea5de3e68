import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Chromium and the emulators are heavy; two cores run two files at a time.
    maxWorkers: 2,
    minWorkers: 1,
    pool: 'forks',
    // The Lambdas run Node 22; the SDK's notice about Node 20 would only bury the test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
