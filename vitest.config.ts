import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // A promise left unhandled anywhere (the delivery path included) is an uncaught
    // exception in the forks that run the tests (projects cannot set execArgv each).
    poolOptions: { forks: { execArgv: ['--unhandled-rejections=strict'] } },
    // One test file per core (vitest's default leaves one core to its main process, which
    // mostly waits: on two cores that ran the unit files one at a time). The e2e project
    // stays in a single fork.
    maxWorkers: availableParallelism(),
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          setupFiles: ['test/support/tempRoot.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          setupFiles: ['test/support/tempRoot.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // Files side by side, each in its own process: every component a file starts listens on
          // a port the OS picked (or a Unix socket) and keeps its files under the file's own
          // TMPDIR; dist/ is built under a lock (test/support/builtPackage.ts).
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          setupFiles: ['test/support/tempRoot.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
