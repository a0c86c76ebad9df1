import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'lambdas/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Workflow and infra suites synthesize the CDK app and start loopback servers; two forks fit 2 cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
