import { defineConfig } from 'vitest/config';

// End-to-end suites start real servers (authorization server, emulators, Mandate itself) on
// 127.0.0.1; two workers keep a 2-core machine responsive.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
