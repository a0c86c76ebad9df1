/**
 * `npm start`, ownership by teams: before the member's deactivation, the FortiGate target lets team
 * `team:00gNETOPS` own credentials (policy `teamOwners`) and the member requests one for the team;
 * after it, the team's credential is still active and accepted by FortiOS, and the team was told
 * (`credential.team-member-left`).
 */
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { executionNameFor } from '#core/execution-names.ts';
import { CURRENT, credentialSecretName, TAG } from '#core/names.ts';
import { materialOf } from '#core/products/index.ts';
import { vendorFor } from '#core/products/registry.ts';
import { TargetDefinition } from '#core/requests.ts';
import { credentialStatus, versionWithStage } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import type { LocalEnvironment } from '../environment.ts';

const TEAM_GROUP = '00gNETOPS';

/**
 * Runs `deactivate` (the member's offboarding) between a team credential's provision and the proof
 * that it survived; prints each step.
 */
export async function teamCredentialSurvives(
  env: LocalEnvironment,
  say: (line: string) => void,
  /** The member's own request, whose target, profile and trusted hosts the team's credential takes. */
  request: Record<string, unknown> & { target: string; member: string },
  deactivate: () => Promise<void>,
): Promise<void> {
  const target = await env.operator.store.loadTarget(request.target);
  await env.operator.store.putTarget(
    request.target,
    TargetDefinition.parse({ ...target, policy: { ...target.policy, teamOwners: [TEAM_GROUP] } }),
  );
  const input = {
    target: request.target,
    apiUser: 'netops-feed',
    owner: `team:${TEAM_GROUP}`,
    requestedBy: request.member,
    ticket: 'CHG-TEAM-1',
    accessProfile: request.accessProfile,
    trustedHosts: request.trustedHosts,
  };
  const name = executionNameFor('provision', input.ticket, input);
  say(
    `  provisioning netops-feed on ${request.target} for team:${TEAM_GROUP}, requested by ${request.member}`,
  );
  const started = await env.operator.sfnClient.send(
    new StartExecutionCommand({
      stateMachineArn: env.provisionStateMachineArn,
      name,
      input: JSON.stringify(input),
    }),
  );
  await env.stepFunctions.service.waitForExecution(started.executionArn ?? '');
  const provisioned = await env.operator.sfnClient.send(
    new DescribeExecutionCommand({ executionArn: started.executionArn }),
  );
  if (provisioned.status !== 'SUCCEEDED')
    throw new Error(`the team's provision ${provisioned.status}: ${causeMessage(provisioned.cause)}`);

  await deactivate();

  const secretName = credentialSecretName(request.target, input.apiUser);
  const stored = await env.store.describe(secretName);
  const value = await env.store.readVersion(secretName, (stored && versionWithStage(stored, CURRENT)) ?? '');
  const accepted =
    (await vendorFor({ target }).verify(materialOf(target.vendor, value))).outcome === 'accepted';
  const told = env.eventBus.events.find((e) => e.DetailType === 'credential.team-member-left');
  say(
    `  team credential ${secretName}: owner ${stored?.tags[TAG.owner]}, status ${credentialStatus(stored)}, FortiOS accepts its key: ${accepted ? 'yes' : 'no'}`,
  );
  say(`  the team was told (credential.team-member-left): ${told?.Detail ?? 'no event'}`);
  if (credentialStatus(stored) !== 'active' || !accepted || !told)
    throw new Error(`the team's credential did not survive ${request.member}'s deactivation`);
}
