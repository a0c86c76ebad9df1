/** The revocation plan's size (lambdas/core/plans.ts): one state's output, bound by Step Functions' 256 KiB. */
import { describe, expect, it } from 'vitest';
import { TAG } from '#core/names.ts';
import { planRevocation } from '#core/plans.ts';
import type { CredentialStore, SecretDescription } from '#core/secrets.ts';
import type { WorkflowDeps } from '#core/workflow-deps.ts';

const OWNER = 'many@example.com';
const held = (count: number): SecretDescription[] =>
  Array.from({ length: count }, (_, i) => ({
    arn: `arn:aws:secretsmanager:eu-west-1:000000000000:secret:provisioner/fgt/${'u'.repeat(30)}-${i}-AbCdEf`,
    name: `provisioner/fgt/${'u'.repeat(30)}-${i}`,
    tags: { [TAG.owner]: OWNER, [TAG.status]: 'active' },
    versions: {},
  }));

function depsHolding(secrets: SecretDescription[]): WorkflowDeps {
  const store = {
    listByOwner: async () => secrets,
    describe: async (id: string) => secrets.find((s) => s.arn === id || s.name === id),
    loadTarget: async () => ({ vendor: 'fortios' }),
  } as unknown as CredentialStore;
  return {
    store,
    vendorFor: (() => ({ name: 'FortiOS', capabilities: { issuance: 'api', twinUsers: true } })) as never,
    events: { publish: async () => {} },
    now: () => new Date('2026-12-01T12:00:00Z'),
    schedules: { ensure: async () => {}, remove: async () => {} },
  };
}

describe('planRevocation', () => {
  it('names at most 100 credentials and counts the rest, so the plan stays far inside 256 KiB', async () => {
    // Act
    const plan = await planRevocation(depsHolding(held(1500)), { request: { owner: OWNER, dryRun: true } });
    // Assess
    expect(plan.credentials).toHaveLength(100);
    expect(plan.schedules).toHaveLength(100);
    expect(plan.notShown).toBe(1400);
    expect(Buffer.byteLength(JSON.stringify(plan))).toBeLessThan(128 * 1024);
  });

  it('refuses a request that did not ask for a dry run', async () => {
    // Act / Assess
    await expect(planRevocation(depsHolding([]), { request: { owner: OWNER } })).rejects.toThrow(
      /invalid revoke request/,
    );
  });
});
