import { defineConfig } from 'vitest/config';

// Integration tests start real servers and sandboxes: give them time, and run files in
// separate forks so a test that kills processes cannot touch another file's server.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: true,
    maxWorkers: 2,
  },
});
