/**
 * `npm start`, a hold's end: the FortiGate target's policy holds a person's shared credentials 14
 * days (`offboarding.shared.holdDays`); a person with one is offboarded (`provisioner revoke
 * --owner`), which holds it and creates its one-time hold-end schedule (`at()`, ActionAfterCompletion
 * DELETE: lambdas/core/hold-ends.ts). Then the clock moves past the hold's end, without a real wait:
 * this process's `Date` (the handlers', the local services' and the Scheduler's clock) jumps forward,
 * as `vi.setSystemTime` does in test/workflow/hold-end.test.ts, and the local Scheduler fires what is
 * due (`fireDue`). The revocation it starts revokes exactly that credential, which FortiOS then refuses.
 */
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { revoke, status } from '#cli/commands.ts';
import { ROTATION_SCHEDULE_GROUP } from '#core/config.ts';
import { executionNameFor } from '#core/execution-names.ts';
import { holdEndScheduleName } from '#core/hold-ends.ts';
import { CURRENT, credentialSecretName } from '#core/names.ts';
import { materialOf } from '#core/products/index.ts';
import { vendorFor } from '#core/products/registry.ts';
import { TargetDefinition } from '#core/requests.ts';
import { credentialStatus, versionWithStage } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import type { LocalEnvironment } from '../environment.ts';

const HOLD_DAYS = 14;
const OWNER = 'kim@example.com';

/**
 * Moves this process's clock forward by `ms`, as time passing would: every `new Date()` and
 * `Date.now()` from here on, dates made before still count as dates.
 */
function advanceClock(ms: number): void {
  const RealDate = globalThis.Date;
  const now = () => RealDate.now() + ms;
  class AdvancedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(now());
      else super(...(args as [number]));
    }
    static override now(): number {
      return now();
    }
    static override [Symbol.hasInstance](value: unknown): boolean {
      return value instanceof RealDate;
    }
  }
  globalThis.Date = AdvancedDate as DateConstructor;
}

/** Holds a shared credential at its owner's offboarding, then shows its revocation when the hold ends. */
export async function heldCredentialRevokedWhenHoldEnds(
  env: LocalEnvironment,
  say: (line: string) => void,
  /** The target and the read-only request a shared credential is provisioned with. */
  request: Record<string, unknown> & { target: string },
): Promise<void> {
  const target = await env.operator.store.loadTarget(request.target);
  await env.operator.store.putTarget(
    request.target,
    TargetDefinition.parse({
      ...target,
      policy: { ...target.policy, offboarding: { shared: { holdDays: HOLD_DAYS } } },
    }),
  );
  const input = {
    target: request.target,
    apiUser: 'kim-shared-feed',
    owner: OWNER,
    shared: true,
    ticket: 'CHG-HOLD-1',
    accessProfile: request.accessProfile,
    trustedHosts: request.trustedHosts,
  };
  say(
    `  ${request.target}'s policy holds a person's shared credentials ${HOLD_DAYS} days; ${OWNER} gets shared credential ${input.apiUser}`,
  );
  const started = await env.operator.sfnClient.send(
    new StartExecutionCommand({
      stateMachineArn: env.provisionStateMachineArn,
      name: executionNameFor('provision', input.ticket, input),
      input: JSON.stringify(input),
    }),
  );
  await env.stepFunctions.service.waitForExecution(started.executionArn ?? '');
  const provisioned = await env.operator.sfnClient.send(
    new DescribeExecutionCommand({ executionArn: started.executionArn }),
  );
  if (provisioned.status !== 'SUCCEEDED')
    throw new Error(
      `the shared credential's provision ${provisioned.status}: ${causeMessage(provisioned.cause)}`,
    );
  const secretName = credentialSecretName(request.target, input.apiUser);
  const stored = await env.store.describe(secretName);
  // As a consumer holds it, to present it to FortiOS once it is revoked.
  const material = materialOf(
    target.vendor,
    await env.store.readVersion(secretName, (stored && versionWithStage(stored, CURRENT)) ?? ''),
  );

  // The CLI's lines, tables included, indented under the step.
  const out = {
    out: (text: string) => {
      for (const line of text.split('\n')) say(`    ${line}`);
    },
  };
  say(`  provisioner revoke --owner ${OWNER} --wait`);
  const code = await revoke(
    env.operator.sfnClient,
    async () => env.revokeStateMachineArn,
    { owner: OWNER, reason: 'left the company', wait: true, pollMs: 100 },
    out,
  );
  if (code !== 0) throw new Error(`the offboarding of ${OWNER} failed`);
  const schedule = env.scheduler.schedules.get(
    `${ROTATION_SCHEDULE_GROUP}/${holdEndScheduleName(secretName)}`,
  );
  const at = /^at\((.+)\)$/.exec(schedule?.ScheduleExpression ?? '')?.[1];
  if (!schedule || !at) throw new Error(`the offboarding made no hold-end schedule for ${secretName}`);
  say(
    `  hold-end schedule ${schedule.Name}: ${schedule.ScheduleExpression} UTC, then deleted (${schedule.ActionAfterCompletion})`,
  );

  // A second past the schedule's time: Scheduler invokes within the minute after it, never before.
  const endsAt = Date.parse(`${at}Z`);
  advanceClock(endsAt + 1000 - Date.now());
  say(
    `  the clock moves ${HOLD_DAYS} days on, to ${new Date().toISOString()}, past the hold's end; the Scheduler fires what is due`,
  );
  const fired = (await env.scheduler.fireDue()) as { executionArn?: string }[];
  if (fired.length !== 1 || !fired[0]?.executionArn)
    throw new Error(`at the hold's end ${fired.length} schedules fired, not the one of ${secretName}`);
  await env.stepFunctions.service.waitForExecution(fired[0].executionArn);
  await status(env.operator.sfnClient, fired[0].executionArn, out);
  const revoked = await env.store.describe(secretName);
  const answer = (await vendorFor({ target }).verify(material)).outcome;
  const left = env.scheduler.schedules.has(`${ROTATION_SCHEDULE_GROUP}/${holdEndScheduleName(secretName)}`);
  say(
    `  ${secretName}: status ${credentialStatus(revoked)}, its key presented to FortiOS: ${answer}; hold-end schedule ${left ? 'still there' : 'gone'}`,
  );
  if (credentialStatus(revoked) !== 'revoked' || answer !== 'rejected' || left)
    throw new Error(`the hold's end did not revoke ${secretName}`);
}
