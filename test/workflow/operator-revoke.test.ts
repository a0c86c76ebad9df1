/**
 * The CLI's lookups as the operator (its principal, under the operator policy that local IAM
 * enforces). `provisioner revoke --owner` lists the revoke workflow's running executions before it
 * starts one (ListExecutions on the state machine,
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html), so the
 * policy grants that on the revoke workflow alone; every command without `--state-machine-arn`
 * finds its workflow by the stack's name (ListStateMachines, which takes no resource: `*`,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html).
 */
import { describe, expect, it } from 'vitest';
import { findStateMachineArn, revoke } from '#cli/commands.ts';
import { credentialSecretName, DEFAULT_STACK_NAME } from '#core/names.ts';
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

  it('finds a workflow by the stack’s name, as every command without --state-machine-arn does', async () => {
    // Act
    const found = await findStateMachineArn(env.operator.sfnClient, DEFAULT_STACK_NAME, 'admin-rotate');
    // Assess
    expect(found).toBe(env.adminRotateStateMachineArn);
  });
});
