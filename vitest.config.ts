import { defineConfig } from 'vitest/config';

// Integration tests start real PM2 daemons and MCP servers; on a 2-core machine they are run
// one file at a time so their timings stay honest. Unit tests are cheap either way.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    pool: 'forks',
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
