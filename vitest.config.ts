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
  },
});
