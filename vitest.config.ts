import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The end-to-end suites bind many sockets; forks keep each file's sockets and timers apart.
    pool: 'forks',
    reporters: ['default'],
  },
});
