/**
 * The reconcile workflow at its documented bound on the embedded default, which enforces Step
 * Functions' 256 KiB per state (local/step-functions/payload-limit.ts) and PutEvents' size limit
 * (local/event-bus.ts): 50 targets with 200 findings each end in one drift report with complete
 * counts and sampled lists, every finding in ReconcileTarget's log (docs/embedded-default.md,
 * "Reconcile results").
 */
import { describe, expect, it } from 'vitest';
import { credentialSecretName, TAG } from '#core/names.ts';
import { causeMessage } from '#core/step-error.ts';
import { runExecution } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const TARGETS = 50;
const FINDINGS_PER_TARGET = 200;
const targetName = (i: number) => `cnapp-${String(i).padStart(2, '0')}`;

const { env, logs } = useLocalEnvironment({
  targets: async (env) => {
    for (let i = 0; i < TARGETS; i++) await env.registerTarget('forticnapp', targetName(i));
  },
});

/** Active credentials with no current version: each is a `broken` finding, found without a product call. */
async function seedBrokenCredentials(target: string, count: number) {
  for (let i = 0; i < count; i++) {
    await env.store.ensureCredentialSecret(credentialSecretName(target, `svc-with-a-long-name-${i}`), {
      [TAG.owner]: 'fleet@example.com',
      [TAG.target]: target,
      [TAG.vendor]: 'forticnapp',
      [TAG.status]: 'active',
    });
  }
}

/** The largest state output of an execution, in UTF-8 bytes (what the 256 KiB limit measures). */
function largestStateOutput(executionArn: string): number {
  const exited = env.stepFunctions.service
    .historyOf(executionArn)
    .map((e) => (e.stateExitedEventDetails as { output?: string } | undefined)?.output ?? '');
  return Math.max(...exited.map((output) => Buffer.byteLength(output)));
}

describe('reconcile at scale', () => {
  it('50 targets × 200 findings: one drift report under the limits, complete counts, every finding logged', async () => {
    // Prepare
    for (let i = 0; i < TARGETS; i++) await seedBrokenCredentials(targetName(i), FINDINGS_PER_TARGET);
    // Act
    const done = await runExecution(env, env.reconcileStateMachineArn, {}, 'reconcile-at-scale');
    // Assess
    expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
    const total = TARGETS * FINDINGS_PER_TARGET;
    const report = JSON.parse(done.output ?? '{}') as {
      broken: string[];
      counts: Record<string, number>;
      driftCount: number;
    };
    expect(report.counts.broken).toBe(total);
    expect(report.driftCount).toBe(total);
    expect(report.broken.length).toBeGreaterThan(0);
    expect(report.broken[0]).toMatch(
      /^provisioner\/cnapp-\d\d\/svc-with-a-long-name-\d+: no current version$/,
    );
    const event = env.eventBus.events.findLast((e) => e.DetailType === 'credential.drift-report');
    const eventBytes = Buffer.byteLength(event?.Detail ?? '');
    const largest = largestStateOutput(done.executionArn ?? '');
    console.info(
      `reconcile of ${TARGETS} targets × ${FINDINGS_PER_TARGET} findings: largest state output ${largest} bytes of 262144, drift event ${eventBytes} bytes, ${report.broken.length} of ${total} broken findings listed`,
    );
    expect(largest).toBeLessThan(262_144);
    expect(eventBytes).toBeLessThan(256_000);
    const logged = logs.lines
      .filter((line) => line.includes('"reconcile findings"'))
      .flatMap((line) => (JSON.parse(line) as { findings: string[] }).findings);
    expect(new Set(logged).size).toBe(total);
  }, 600_000);
});
