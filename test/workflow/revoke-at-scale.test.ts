/**
 * The revoke workflow at its bounds on the embedded default, which enforces Step Functions' 256 KiB
 * state limit (local/step-functions/payload-limit.ts): an owner's failing credentials still end in
 * the precise report (every Lambda error's Cause carries the Node.js runtime's stack trace, as in AWS).
 */
import { describe, expect, it } from 'vitest';
import { credentialSecretName, TAG } from '#core/names.ts';
import { causeMessage } from '#core/step-error.ts';
import { runExecution } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env } = useLocalEnvironment();

/** Credentials of `owner` on `target`, as provisioning tags them (active). */
async function seedCredentials(owner: string, target: string, count: number, prefix: string) {
  for (let i = 0; i < count; i++) {
    await env.store.ensureCredentialSecret(
      credentialSecretName(target, `${prefix}-${String(i).padStart(4, '0')}`),
      {
        [TAG.owner]: owner,
        [TAG.target]: target,
        [TAG.vendor]: 'fortios',
        [TAG.status]: 'active',
      },
    );
  }
}

/** The largest state output of an execution, in UTF-8 bytes (what the 256 KiB limit measures). */
function largestStateOutput(executionArn: string): number {
  const exited = env.stepFunctions.service
    .historyOf(executionArn)
    .map((e) => (e.stateExitedEventDetails as { output?: string } | undefined)?.output ?? '');
  return Math.max(...exited.map((output) => Buffer.byteLength(output)));
}

describe('revoke at scale', () => {
  it('500 failing credentials end in the report naming each and why, not in States.DataLimitExceeded', async () => {
    // Prepare: their target is gone from the registry, so RevokeAtProduct fails for each with a
    // handler error (Cause: errorType, errorMessage and the stack trace).
    const owner = 'many-failing@example.com';
    await seedCredentials(owner, 'gone', 500, 'bot');
    // Act
    const described = await runExecution(env, env.revokeStateMachineArn, { owner }, 'revoke-500-failing');
    // Assess
    expect(described.error, causeMessage(described.cause)).toBe('RevocationIncomplete');
    expect(causeMessage(described.cause)).toMatch(
      /^500 of 500 credentials of many-failing@example.com are not revoked/,
    );
    const failed = env.eventBus.events.filter((e) => e.DetailType === 'credential.revocation-failed');
    const report = JSON.parse(failed.at(-1)?.Detail ?? '{}') as { failed: string[] };
    expect(report.failed).toHaveLength(500);
    expect(report.failed[0]).toMatch(/^provisioner\/gone\/bot-0000: \w+ \(.*gone.*\)$/);
    const largest = largestStateOutput(described.executionArn ?? '');
    console.info(`revoke of 500 failing credentials: largest state output ${largest} bytes of 262144`);
    expect(largest).toBeLessThan(262_144);
  }, 120_000);
});
