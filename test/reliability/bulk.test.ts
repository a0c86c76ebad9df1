/**
 * The bulk benchmark's workload at a small scale (its figures are for `npm run bench`): credentials
 * over all five products rotate and are revoked through their owners under the Secrets Manager
 * write quota and the products' concurrency limits, with operator tasks answered as they appear.
 */
import { describe, expect, it } from 'vitest';
import { scanEnvironment } from '#local/leak-scan.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';
import { PRODUCT_CONCURRENCY_LIMIT, runBulk } from '../../bench/bulk.ts';
import { registerBenchTargets } from '../../bench/operations.ts';

const { env, logs } = useLocalEnvironment({ targets: registerBenchTargets });

describe('bulk rotation and revocation under the quotas', () => {
  it('rotates and revokes every credential, never over a product’s limit, leaking nothing', async () => {
    // Act
    const { rotate, revoke } = await runBulk(env, 10);
    // Assess
    for (const phase of [rotate, revoke]) {
      expect(phase.failed).toBe(0);
      expect(phase.refusedOverLimit).toBe(0);
      expect(Math.max(...Object.values(phase.peakConcurrency))).toBeLessThanOrEqual(
        PRODUCT_CONCURRENCY_LIMIT,
      );
      expect(phase.writes).toBeGreaterThan(0);
    }
    const revoked = env.eventBus.events.filter((e) => e.DetailType === 'credential.revoked');
    expect(revoked).toHaveLength(10);
    expect(scanEnvironment(env, { logs: logs.lines })).toEqual([]);
  }, 120_000);
});
