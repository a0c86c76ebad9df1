/**
 * `npm start`'s drift step (issue 17, item 5): the FortiGate's credential rotates once more, then a
 * saved configuration script from before that rotation is replayed on the FortiGate, which brings
 * the retired twin back with its old key. Reconciliation under the target policy's `repair: fix`
 * finds it, deletes it and proves it gone; the consumer's AWSCURRENT key keeps working.
 */
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { executionNameFor } from '#core/execution-names.ts';
import { credentialSecretName } from '#core/names.ts';
import { materialOf } from '#core/products/index.ts';
import { vendorFor } from '#core/products/registry.ts';
import { TargetDefinition } from '#core/requests.ts';
import { causeMessage } from '#core/step-error.ts';
import type { DriftFinding } from '#core/workflows/reconcile.ts';
import type { LocalEnvironment } from '../environment.ts';

const TARGET = 'fgt-lab';

/** Runs an execution as the operator and waits for it; its output, or an error naming its failure. */
async function runAsOperator(env: LocalEnvironment, stateMachineArn: string, input: unknown, name?: string) {
  const { sfnClient } = env.operator;
  const started = await sfnClient.send(
    new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), name }),
  );
  const executionArn = started.executionArn ?? '';
  await env.stepFunctions.service.waitForExecution(executionArn);
  const done = await sfnClient.send(new DescribeExecutionCommand({ executionArn }));
  if (done.status !== 'SUCCEEDED')
    throw new Error(`${executionArn} ${done.status}: ${causeMessage(done.cause)}`);
  return JSON.parse(done.output ?? '{}') as Record<string, unknown>;
}

export async function restoredTwinCaughtAndRemoved(
  env: LocalEnvironment,
  apiUser: string,
  say: (line: string) => void,
  beforeRepair: (target: string) => Promise<void> = async () => {},
): Promise<void> {
  const target = await env.operator.store.loadTarget(TARGET);
  if (target.vendor !== 'fortios') throw new Error(`${TARGET} is not a FortiOS target`);
  await env.operator.store.putTarget(
    TARGET,
    TargetDefinition.parse({ ...target, policy: { ...target.policy, repair: 'fix' } }),
  );
  say(`  drift: ${TARGET}'s target policy says repair: fix`);
  const script = env.fortios.backup();
  const request = { target: TARGET, apiUser };
  const rotated = await runAsOperator(
    env,
    env.rotateStateMachineArn,
    request,
    executionNameFor('rotate', 'drift-demo', request),
  );
  say(`    ${credentialSecretName(TARGET, apiUser)} rotates to ${rotated.apiUser}`);
  env.fortios.replayUsers(script);
  const restored = [...env.fortios.state.users.keys()].filter((name) => name.startsWith(apiUser));
  say(
    `    a configuration script saved before that rotation is replayed on the FortiGate: API users now ${restored.join(', ')}`,
  );
  await beforeRepair(TARGET);
  const report = (await runAsOperator(env, env.reconcileStateMachineArn, {})) as {
    findings: DriftFinding[];
    driftCount: number;
  };
  const caught = report.findings.filter((f) => f.kind === 'retired-twin-restored');
  for (const finding of report.findings) {
    const repair =
      finding.repair === 'removed' ? 'removed, and proven gone through the admin API' : finding.repair;
    say(`    reconciliation: ${finding.kind} ${finding.user}: ${repair}`);
  }
  const secretName = credentialSecretName(TARGET, apiUser);
  const current = await env.store.readCurrent(secretName);
  const works = await vendorFor({ target }).verify(materialOf(target.vendor, current));
  const left = [...env.fortios.state.users.keys()].filter((name) => name.startsWith(apiUser));
  say(
    `    API users now ${left.join(', ')}; the consumer's AWSCURRENT key: ${works.outcome}; drift ${report.driftCount}`,
  );
  if (
    caught.length !== 1 ||
    caught[0]?.repair !== 'removed' ||
    left.length !== 1 ||
    works.outcome !== 'accepted'
  )
    throw new Error(`the restored twin was not caught and removed: ${JSON.stringify(report.findings)}`);
}
