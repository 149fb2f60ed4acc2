import { defineConfig } from 'vitest/config';

// Two projects: the pure tests beside the code (src/) need no database or Redis and run
// without the global setup; the tests under test/ get PostgreSQL and Redis from it
// (test/harness/services.ts: the configured ones, the machine's, or private ones).
const shared = {
  pool: 'forks',
  testTimeout: 30_000,
  hookTimeout: 60_000,
  env: { NODE_ENV: 'test' },
} as const;

export default defineConfig({
  test: {
    fileParallelism: true,
    projects: [
      { test: { ...shared, name: 'unit', include: ['src/**/*.test.ts'] } },
      {
        test: {
          ...shared,
          name: 'integration',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
        },
      },
    ],
  },
});
