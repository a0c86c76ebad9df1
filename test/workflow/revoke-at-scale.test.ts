/**
 * The revoke workflow at its bounds on the embedded default, which enforces Step Functions' 256 KiB
 * state limit (local/step-functions/payload-limit.ts): an owner's failing credentials still end in
 * the precise report (every Lambda error's Cause carries the Node.js runtime's stack trace, as in AWS).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { revoke } from '#cli/commands.ts';
import { credentialSecretName, TAG } from '#core/names.ts';
import { credentialStatus } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { revocationContinuation } from '#core/workflows/revoke.ts';
import { type ExecutionDescription, executionEnd, runExecution } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
  },
});

/** FortiOS credentials of `owner` on `target`, as provisioning tags and stores them (active). */
async function seedCredentials(owner: string, target: string, count: number, prefix: string) {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const apiUser = `${prefix}-${String(i).padStart(4, '0')}`;
    const secret = await env.store.ensureCredentialSecret(credentialSecretName(target, apiUser), {
      [TAG.owner]: owner,
      [TAG.target]: target,
      [TAG.vendor]: 'fortios',
      [TAG.status]: 'active',
    });
    const key = randomBytes(15).toString('hex');
    const value = { vendor: 'fortios', target, apiUser, issuedAt: '2026-01-01T00:00:00Z', key } as const;
    await env.store.storePending(secret.arn, value, randomUUID(), { firstVersion: true });
    names.push(secret.name);
  }
  return names;
}

/** A revocation to its end: the first execution and every continuation, in order. */
async function revokeAll(owner: string, name: string): Promise<ExecutionDescription[]> {
  const executions = [await runExecution(env, env.revokeStateMachineArn, { owner }, name)];
  for (let next = revocationContinuation(executions[0] as ExecutionDescription); next; ) {
    const described = await executionEnd(env, next);
    executions.push(described);
    next = revocationContinuation(described);
  }
  return executions;
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
    const executions = await revokeAll(owner, 'revoke-500-failing');
    // Assess: five executions of 100, each failing with its report
    expect(executions.map((e) => e.error)).toEqual(Array(5).fill('RevocationIncomplete'));
    expect(causeMessage(executions[0]?.cause)).toMatch(
      /^100 of 100 credentials of many-failing@example.com are not revoked: provisioner\/gone\/bot-0000: \w+ \(.*gone.*\);/,
    );
    const failed = env.eventBus.events
      .filter((e) => e.DetailType === 'credential.revocation-failed')
      .flatMap((e) => (JSON.parse(e.Detail ?? '{}') as { failed: string[] }).failed);
    expect(failed).toHaveLength(500);
    expect(failed[0]).toMatch(/^provisioner\/gone\/bot-0000: \w+ \(.*gone.*\)$/);
    const largest = Math.max(...executions.map((e) => largestStateOutput(e.executionArn ?? '')));
    console.info(`revoke of 500 failing credentials: largest state output ${largest} bytes of 262144`);
    expect(largest).toBeLessThan(262_144);
  }, 300_000);

  it('an owner with 1,200 credentials is revoked in executions of 100, each continuing the next', async () => {
    // Prepare
    const owner = 'many@example.com';
    const secrets = await seedCredentials(owner, 'fgt', 1200, 'svc');
    // Act
    const executions = await revokeAll(owner, 'revoke-1200');
    // Assess
    expect(executions.map((e) => `${e.status} ${causeMessage(e.cause)}`)).toEqual(
      Array(12).fill('SUCCEEDED unknown failure'),
    );
    const revoked = executions.flatMap((e) => JSON.parse(e.output ?? '{}').revoked as string[]);
    expect(revoked.sort()).toEqual([...secrets].sort());
    for (const name of secrets) expect(credentialStatus(await env.store.describe(name))).toBe('revoked');
    const largest = Math.max(...executions.map((e) => largestStateOutput(e.executionArn ?? '')));
    const events = Math.max(
      ...executions.map((e) => env.stepFunctions.service.historyOf(e.executionArn ?? '').length),
    );
    console.info(
      `revoke of 1,200 credentials: 12 executions, largest state output ${largest} bytes, longest history ${events} events`,
    );
  }, 600_000);

  it('provisioner revoke --wait follows the continuation to the last execution', async () => {
    // Prepare: one credential more than an execution revokes
    const owner = 'hundred-and-one@example.com';
    const secrets = await seedCredentials(owner, 'fgt', 101, 'cli');
    const printed: string[] = [];
    // Act
    const code = await revoke(
      env.sfnClient,
      async () => env.revokeStateMachineArn,
      { owner, wait: true, pollMs: 1 },
      { out: (line) => printed.push(line) },
    );
    // Assess
    expect(code, printed.join('\n')).toBe(0);
    expect(printed.filter((line) => line.startsWith('continued in '))).toHaveLength(1);
    expect(printed.filter((line) => line.includes('SUCCEEDED'))).toHaveLength(2);
    for (const name of secrets) expect(credentialStatus(await env.store.describe(name))).toBe('revoked');
  }, 300_000);
});
