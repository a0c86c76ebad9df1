/**
 * Reconciliation's bounds (docs/embedded-default.md, "Reconcile results"): at 500 targets with 200
 * findings of every kind, names at their longest, the Map's results stay within Step Functions'
 * 256 KiB per state and the drift event within 256 KB, with complete counts. The workflow test at
 * 50 targets × 200 findings is test/workflow/reconcile-at-scale.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { EventPublisher } from '#core/events.ts';
import type { WorkflowDeps } from '#core/workflow-deps.ts';
import { boundDrift, listTargets, reportDrift, type TargetDrift } from '#core/workflows/reconcile.ts';

const TARGETS = 500;
const PER_KIND = 200;
// Target names of 63 characters (TargetName's longest), findings past the 300 characters one keeps.
const names = Array.from({ length: TARGETS }, (_, i) => `t${String(i).padStart(62, '0')}`);
const KINDS = ['orphans', 'repaired', 'broken', 'inconclusive', 'unverified', 'expiring'] as const;
const TWIN_KINDS = ['retired-twin-restored', 'current-key-broken', 'ha-member-out-of-sync'] as const;

function fullDrift(target: string): TargetDrift {
  const findings = (kind: string) =>
    Array.from({ length: PER_KIND }, (_, i) => `provisioner/${target}/${kind}-${i}: ${'why '.repeat(100)}`);
  return {
    target,
    checked: PER_KIND,
    ...(Object.fromEntries(KINDS.map((kind) => [kind, findings(kind)])) as Record<
      (typeof KINDS)[number],
      string[]
    >),
    staleAdmins: [],
    // Twin-user drift at DriftFinding's longest detail, each only reported.
    findings: TWIN_KINDS.flatMap((kind) =>
      Array.from({ length: PER_KIND }, (_, i) => ({
        kind,
        credential: `provisioner/${target}/user-${i}`,
        user: `user-${i}`,
        detail: 'd'.repeat(400),
        repair: 'reported' as const,
      })),
    ),
  };
}

describe('reconcile results at their bound', () => {
  it('500 targets × 200 findings of every kind, twin-user drift included: Map results under 262,144 bytes, drift event under 256 KB, counts complete', async () => {
    // Prepare
    const published: unknown[] = [];
    const events: EventPublisher = { publish: async (_type, detail) => void published.push(detail) };
    const deps = {
      store: {
        listTargets: async () => names.map((name) => ({ name, vendor: 'fortios' })),
      },
      tasks: { list: async () => [] },
      events,
      now: () => new Date('2030-01-01T00:00:00Z'),
    } as unknown as WorkflowDeps;
    // Act
    const listed = await listTargets(deps);
    const results = names.map((target) =>
      boundDrift(fullDrift(target), { target, sampleBytes: listed.sampleBytes }),
    );
    const report = await reportDrift(deps, { requestId: 'reconcile-bound', results });
    // Assess: the Map state's output is its input with the results
    const mapOutput = Buffer.byteLength(JSON.stringify({ ...listed, results }));
    const eventBytes = Buffer.byteLength(JSON.stringify(published[0]));
    console.info(
      `reconcile results of ${TARGETS} targets × ${KINDS.length} × ${PER_KIND} findings: Map output ${mapOutput} bytes, drift event ${eventBytes} bytes`,
    );
    expect(mapOutput).toBeLessThan(262_144);
    expect(eventBytes).toBeLessThan(256_000);
    expect(report.counts).toMatchObject({ broken: TARGETS * PER_KIND, orphans: TARGETS * PER_KIND });
    expect(report.counts).toMatchObject({ 'findings.retired-twin-restored.reported': TARGETS * PER_KIND });
    // Repaired orphans take one off each, broken keys are counted among `broken` already.
    expect(report.driftCount).toBe(TARGETS * PER_KIND * (KINDS.length - 2 + 2));
  });
});
