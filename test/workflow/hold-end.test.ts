/**
 * A held offboarding ends on its own (issue 17, item 3) on the embedded default: the revocation
 * that holds a person's shared credential creates one one-time Scheduler schedule at the hold's end
 * (`at()`, ActionAfterCompletion DELETE: https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html),
 * which then starts the revocation of exactly that credential; a repeated offboarding makes no
 * second one; a transfer deletes it, and a revocation at the hold's end checks the owner again.
 * The clock is faked (Date only) and moved past the hold; the local Scheduler fires what is due.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { transfer } from '#cli/transfer.ts';
import { ROTATION_SCHEDULE_GROUP } from '#core/config.ts';
import { EventBridgePublisher } from '#core/events.ts';
import { deleteHoldEndSchedule, holdEndScheduleName } from '#core/hold-ends.ts';
import { credentialSecretName, TAG } from '#core/names.ts';
import { credentialStatus } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { OPERATOR_ACCESS_KEY_ID } from '#local/iam/account.ts';
import { addressReaderRequest, executionEnd, runExecution, runProvision } from '#test/support/executions.ts';
import { OPS_TEAM, putFortiOsTarget, TEAMS_AND_HOLDS } from '#test/support/fortios-targets.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env } = useLocalEnvironment({
  targets: (env) => putFortiOsTarget(env, 'fgt', TEAMS_AND_HOLDS),
});

async function provision(request: { readonly ticket: string }) {
  const run = await runProvision(env, request);
  expect(run.status, causeMessage(run.cause)).toBe('SUCCEEDED');
}

const revoke = (input: Record<string, unknown>, name: string) =>
  runExecution(env, env.revokeStateMachineArn, input, name);

const holdEndOf = (secretName: string) =>
  env.scheduler.schedules.get(`${ROTATION_SCHEDULE_GROUP}/${holdEndScheduleName(secretName)}`);
const holdEnds = () => [...env.scheduler.schedules.keys()].filter((k) => k.includes('/hold-'));

interface HeldReport {
  revoked: string[];
  held: { secretName: string; heldUntil: string; revokesAt: string; reason: string }[];
}

describe('the end of a held offboarding (FortiOS, local runtime, fake clock)', () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  });

  afterAll(() => {
    vi.useRealTimers();
  });

  it("revokes the held credential when its hold ends, by its one-time schedule, and nothing else of the owner's", async () => {
    // Prepare
    const shared = credentialSecretName('fgt', 'fgt-kim-shared');
    await provision(addressReaderRequest('fgt', 'fgt-kim-shared', 'kim@example.com', { shared: true }));
    // Act
    const first = await revoke({ owner: 'kim@example.com' }, 'revoke-kim-1');
    const again = await revoke({ owner: 'kim@example.com' }, 'revoke-kim-2');
    // The owner's credential made after the offboarding (re-hired) is no business of the hold's end.
    await provision(addressReaderRequest('fgt', 'fgt-kim-new', 'kim@example.com'));
    const beforeTheEnd = await env.scheduler.fireDue();
    const report = JSON.parse(first.output ?? '{}') as HeldReport;
    const revokesAt = report.held[0]?.revokesAt ?? '';
    const schedule = holdEndOf(shared);
    vi.setSystemTime(Date.parse(revokesAt));
    const fired = (await env.scheduler.fireDue()) as { executionArn: string }[];
    const atTheEnd = await executionEnd(env, fired[0]?.executionArn ?? '');
    // Assess
    expect(first.status, causeMessage(first.cause)).toBe('SUCCEEDED');
    expect(report.held).toEqual([
      expect.objectContaining({
        secretName: shared,
        revokesAt: new Date(
          Math.ceil(Date.parse(report.held[0]?.heldUntil ?? '') / 1000) * 1000,
        ).toISOString(),
      }),
    ]);
    expect(env.eventBus.events.find((e) => e.DetailType === 'credential.offboarding-held')?.Detail).toContain(
      `"revokesAt":"${revokesAt}"`,
    );
    expect(schedule).toMatchObject({
      ScheduleExpression: `at(${revokesAt.slice(0, 19)})`,
      ScheduleExpressionTimezone: 'UTC',
      ActionAfterCompletion: 'DELETE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: env.revokeStateMachineArn },
    });
    expect(JSON.parse(schedule?.Target.Input ?? '{}')).toEqual({
      owner: 'kim@example.com',
      credential: shared,
      reason: `hold ended ${report.held[0]?.heldUntil}`,
      source: 'schedule',
    });
    expect(JSON.parse(again.output ?? '{}')).toMatchObject({ held: [{ secretName: shared, revokesAt }] });
    expect(beforeTheEnd).toEqual([]);
    expect(fired).toHaveLength(1);
    expect(atTheEnd.status, causeMessage(atTheEnd.cause)).toBe('SUCCEEDED');
    expect(JSON.parse(atTheEnd.output ?? '{}')).toMatchObject({
      revoked: [shared],
      held: [],
      keptByTeams: [],
    });
    expect(env.fortios.state.users.has('fgt-kim-shared')).toBe(false);
    expect(env.fortios.state.users.has('fgt-kim-new')).toBe(true);
    expect(holdEnds()).toEqual([]);
  });

  it("a transfer deletes the hold's schedule; a revocation at the hold's end checks the owner and leaves the transferred credential", async () => {
    // Prepare
    const shared = credentialSecretName('fgt', 'fgt-lee-shared');
    await provision(addressReaderRequest('fgt', 'fgt-lee-shared', 'lee@example.com', { shared: true }));
    const held = await revoke({ owner: 'lee@example.com' }, 'revoke-lee-1');
    expect(held.status, causeMessage(held.cause)).toBe('SUCCEEDED');
    const input = JSON.parse(holdEndOf(shared)?.Target.Input ?? '{}') as Record<string, unknown>;
    const bus = new EventBridgeClient({
      region: env.endpoints.region,
      endpoint: env.endpoints.eventBridge,
      credentials: { accessKeyId: OPERATOR_ACCESS_KEY_ID, secretAccessKey: 'local' },
    });
    // The CLI acts as the operator: local IAM allows it only what the operator policy grants.
    const operator = {
      store: env.operator.store,
      events: new EventBridgePublisher(bus),
      removeHoldEnd: (secretName: string) =>
        deleteHoldEndSchedule(env.operator.schedulerClient, ROTATION_SCHEDULE_GROUP, secretName),
    };
    // Act
    const code = await transfer(operator, { from: 'lee@example.com', to: OPS_TEAM }, { out: () => {} });
    bus.destroy();
    // Its schedule deleted, the hold's end is replayed as Scheduler would have started it.
    const atTheEnd = await revoke(input, 'revoke-lee-hold-end');
    // Assess
    expect(code).toBe(0);
    expect(holdEndOf(shared)).toBeUndefined();
    expect(atTheEnd.status, causeMessage(atTheEnd.cause)).toBe('SUCCEEDED');
    expect(JSON.parse(atTheEnd.output ?? '{}')).toMatchObject({ revoked: [], held: [] });
    const kept = await env.store.describe(shared);
    expect(kept?.tags[TAG.owner]).toBe(OPS_TEAM);
    expect(kept && credentialStatus(kept)).toBe('active');
    expect(env.fortios.state.users.has('fgt-lee-shared')).toBe(true);
  });
});
