import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Test tiers, one vitest project each (`npm run test:<tier>`; `npm test` runs them all):
 * - unit: pure functions, handlers over mocked SDK clients, the local endpoints alone; no local environment.
 * - conformance: each product adapter against its loopback simulator
 *   (lambdas/core/products/<product>/conformance.test.ts).
 * - workflow: the workflows on the whole local environment, hostile input and vendor answers included.
 * - infra: the CDK stack, cdk-nag and the handler bundles.
 * - reliability: the fault matrices and the bulk run.
 */
const CONFORMANCE = ['lambdas/**/conformance.test.ts'];

export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Workflow and infra suites synthesize the CDK app and start loopback servers; two forks fit 2 cores.
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'lambdas/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...CONFORMANCE],
        },
      },
      { extends: true, test: { name: 'conformance', include: CONFORMANCE } },
      {
        extends: true,
        test: { name: 'workflow', include: ['test/workflow/**/*.test.ts', 'test/hostile/**/*.test.ts'] },
      },
      { extends: true, test: { name: 'infra', include: ['test/infra/**/*.test.ts'] } },
      { extends: true, test: { name: 'reliability', include: ['test/reliability/**/*.test.ts'] } },
    ],
    // `npm run test:coverage` (needs @vitest/coverage-v8 4.1.12): lambdas/core as the unit and conformance
    // tiers reach it; thresholds just below what they measured (61.3 / 58.8 / 62.9 / 62.7 %).
    coverage: {
      provider: 'v8',
      include: ['lambdas/core/**/*.ts'],
      // Tests, the shared conformance suite and the simulators beside their adapters are not the code under test.
      exclude: [
        'lambdas/**/*.test.ts',
        'lambdas/core/products/conformance.ts',
        'lambdas/core/products/*/simulator.ts',
        'lambdas/core/products/*/simulated.ts',
        'lambdas/core/products/simulated.ts',
      ],
      reporter: ['text-summary', 'text', 'html'],
      reportsDirectory: 'coverage',
      thresholds: { statements: 61, branches: 58, functions: 62, lines: 62 },
    },
  },
});
