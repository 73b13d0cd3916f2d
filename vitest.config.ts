// Vitest configuration: tests live under test/ and mirror src/ and controllers/.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most slow files wait on child processes and sockets, not CPU: two workers fit the 2-core CI machine.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
