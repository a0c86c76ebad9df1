/**
 * `provisioner revoke --owner` as the operator (the CLI's principal, under the operator policy that
 * local IAM enforces): before it starts a revocation it lists the revoke workflow's running
 * executions (ListExecutions on the state machine,
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html), so the
 * policy must grant that, on the revoke workflow alone.
 */
import { describe, expect, it } from 'vitest';
import { revoke } from '#cli/commands.ts';
import { credentialSecretName } from '#core/names.ts';
import { credentialStatus } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { addressReaderRequest, runProvision } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
  },
});

describe('provisioner revoke --owner as the operator (local IAM)', () => {
  it('lists the running revocations and starts one, as the operator policy allows', async () => {
    // Prepare
    const provisioned = await runProvision(env, addressReaderRequest('fgt', 'ops-feed', 'noa@example.com'));
    expect(provisioned.status, causeMessage(provisioned.cause)).toBe('SUCCEEDED');
    const printed: string[] = [];
    // Act
    const code = await revoke(
      env.operator.sfnClient,
      async () => env.revokeStateMachineArn,
      { owner: 'noa@example.com', wait: true, pollMs: 1 },
      { out: (line) => printed.push(line) },
    );
    // Assess
    expect(code, printed.join('\n')).toBe(0);
    expect(credentialStatus(await env.store.describe(credentialSecretName('fgt', 'ops-feed')))).toBe(
      'revoked',
    );
  });
});
