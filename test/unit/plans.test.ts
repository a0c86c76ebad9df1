/**
 * The plans of lambdas/core/plans.ts on fake dependencies: the revocation plan's size (one state's
 * output, bound by Step Functions' 256 KiB) and decisions; the reconcile plan's repairs per policy.
 */
import { describe, expect, it } from 'vitest';
import { holdEndScheduleName } from '#core/hold-ends.ts';
import { TAG } from '#core/names.ts';
import { planReconciliation, planRevocation } from '#core/plans.ts';
import type { CredentialStore, SecretDescription } from '#core/secrets.ts';
import type { WorkflowDeps } from '#core/workflow-deps.ts';
import type { DriftReadDeps } from '#core/workflows/reconcile.ts';

const OWNER = 'many@example.com';
const held = (count: number): SecretDescription[] =>
  Array.from({ length: count }, (_, i) => ({
    arn: `arn:aws:secretsmanager:eu-west-1:000000000000:secret:provisioner/fgt/${'u'.repeat(30)}-${i}-AbCdEf`,
    name: `provisioner/fgt/${'u'.repeat(30)}-${i}`,
    tags: { [TAG.owner]: OWNER, [TAG.status]: 'active' },
    versions: {},
  }));

function depsHolding(
  secrets: SecretDescription[],
  policy: object = {},
  consumersOf: (arn: string) => string[] = () => [],
): WorkflowDeps {
  const store = {
    listByOwner: async () => secrets,
    readAccess: async (arn: string) => ({ readers: [], consumers: consumersOf(arn) }),
    describe: async (id: string) => secrets.find((s) => s.arn === id || s.name === id),
    loadTarget: async () => ({ vendor: 'fortios', policy }),
  } as unknown as CredentialStore;
  return {
    store,
    tasks: {} as never,
    vendorFor: (() => ({ name: 'FortiOS', capabilities: { issuance: 'api', twinUsers: true } })) as never,
    events: { publish: async () => {} },
    now: () => new Date('2026-12-01T12:00:00Z'),
    schedules: { ensure: async () => {}, remove: async () => {} },
    holdEnds: { ensure: async () => {}, remove: async () => {} },
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

  it("says which credentials the owner's offboarding would hold, as the revocation decides, and plans no call for them", async () => {
    // Prepare: one personal credential, one shared credential on a target that holds them 14 days
    const [personal, shared] = held(2) as [SecretDescription, SecretDescription];
    const deps = depsHolding([personal, { ...shared, tags: { ...shared.tags, [TAG.shared]: 'true' } }], {
      offboarding: { shared: { holdDays: 14 } },
    });
    // Act
    const plan = await planRevocation(deps, { request: { owner: OWNER, dryRun: true } });
    // Assess
    expect(plan.credentials.map((c) => c.change)).toEqual([
      'tagged revoking; scheduled for deletion (revoked) once its key is proven dead',
      "held until 2026-12-15T12:00:00.000Z, not revoked (shared credential: the target's offboarding policy holds it 14 days); its schedule revokes it at 2026-12-15T12:00:00.000Z; a notice goes out",
    ]);
    expect(plan.productCalls).toHaveLength(1);
    expect(plan.schedules).toEqual([
      expect.stringContaining(personal.name),
      `ensure ${holdEndScheduleName(shared.name)} at(2026-12-15T12:00:00), deleted once it started: revokes ${shared.name} of ${OWNER}`,
    ]);
    expect(plan.events).toEqual([
      expect.stringContaining('credential.revoked for each'),
      'credential.offboarding-held for each of the 1 held now',
    ]);
  });

  it('holds a personal credential its consumers read, and says that is why', async () => {
    // Prepare: the first credential has a consumer role, the second none
    const [read, unread] = held(2) as [SecretDescription, SecretDescription];
    const deps = depsHolding([read, unread], { offboarding: { shared: { holdDays: 14 } } }, (arn) =>
      arn === read.arn ? ['arn:aws:iam::000000000000:role/sync'] : [],
    );
    // Act
    const plan = await planRevocation(deps, { request: { owner: OWNER, dryRun: true } });
    // Assess
    expect(plan.credentials.map((c) => c.change)).toEqual([
      "held until 2026-12-15T12:00:00.000Z, not revoked (read by 1 consumer role: the target's offboarding policy holds it 14 days); its schedule revokes it at 2026-12-15T12:00:00.000Z; a notice goes out",
      'tagged revoking; scheduled for deletion (revoked) once its key is proven dead',
    ]);
  });

  it('refuses a request that did not ask for a dry run', async () => {
    // Act / Assess
    await expect(planRevocation(depsHolding([]), { request: { owner: OWNER } })).rejects.toThrow(
      /invalid revoke request/,
    );
  });
});

/**
 * A FortiOS target whose credential `bot` rotated to `bot.b`: a restore brought `bot` back and
 * `bot.b`'s key is refused. The fakes hold no write at all: a plan calling one would throw.
 */
const refused = async () => {
  throw new Error('a plan writes nothing');
};

function driftedTarget(repair: 'report' | 'fix'): DriftReadDeps {
  const secret: SecretDescription = {
    arn: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:provisioner/fgt/bot-AbCdEf',
    name: 'provisioner/fgt/bot',
    tags: { [TAG.status]: 'active', [TAG.target]: 'fgt' },
    versions: { 'version-2': ['AWSCURRENT'] },
  };
  const marked = (name: string, requestId: string) => ({
    name,
    requestId,
    credential: { target: 'fgt', apiUser: 'bot' },
  });
  const vendor = {
    name: 'fortios',
    capabilities: { issuance: 'api', accessProfiles: true, twinUsers: true, tokenBroker: false },
    listManagedUsers: async () => [marked('bot', 'provision-T-1'), marked('bot.b', 'rotate-T-2')],
    verify: async () => ({ outcome: 'rejected' }),
  };
  return {
    ...depsHolding([]),
    store: {
      loadTarget: async () => ({ vendor: 'fortios', policy: { repair } }),
      listByTarget: async () => [secret],
      readVersion: async () => ({ apiUser: 'bot.b', key: 'k'.repeat(30) }),
      describe: async () => secret,
    } as unknown as CredentialStore,
    vendorFor: (async () => vendor) as never,
    executionRecent: async () => false,
    events: { publish: refused },
    schedules: { ensure: refused, remove: refused },
    holdEnds: { ensure: refused, remove: refused },
  };
}

describe('planReconciliation', () => {
  it('under repair: report, plans every finding as reported only: no product call, no rotation', async () => {
    // Act
    const plan = await planReconciliation(driftedTarget('report'), {
      request: { target: 'fgt', dryRun: true },
    });
    // Assess
    expect(plan.findings?.map((f) => [f.kind, f.repair])).toEqual([
      [
        'retired-twin-restored',
        'reported only (repair: report; under repair: fix, API user bot would be deleted and proven gone)',
      ],
      [
        'current-key-broken',
        'reported only (repair: report; under repair: fix, a rotation would re-issue it on the other twin)',
      ],
      ['broken', 'see its twin-user finding'],
    ]);
    expect(plan.productCalls).toEqual([]);
    expect(plan.events).toEqual([
      'credential.drift-report once, with the findings of every target the run covers',
    ]);
    expect(plan.credentials.map((c) => c.change)).toEqual(['none']);
  });

  it('under repair: fix, plans the deletion of the restored twin and the rotation that re-issues the key', async () => {
    // Act
    const plan = await planReconciliation(driftedTarget('fix'), { request: { target: 'fgt', dryRun: true } });
    // Assess
    expect(plan.productCalls).toEqual([
      'fgt (fortios): delete API user bot and prove it gone',
      expect.stringMatching(
        /^fgt \(fortios\): rotation rotate-repair-bot-\w+ re-issues provisioner\/fgt\/bot's key/,
      ),
    ]);
    expect(plan.credentials.map((c) => c.change)).toEqual([
      expect.stringMatching(/^rotation rotate-repair-bot-\w+ re-issues its key/),
    ]);
  });

  it('refuses a plan that names no target, or did not ask for a dry run', async () => {
    // Act / Assess
    await expect(
      planReconciliation(driftedTarget('fix'), { request: { dryRun: true } }),
    ).rejects.toMatchObject({
      issues: ['target: a plan is for one target: name it (provisioner plan reconcile <target>)'],
    });
    await expect(planReconciliation(driftedTarget('fix'), { request: { target: 'fgt' } })).rejects.toThrow(
      /invalid reconcile request/,
    );
  });
});
