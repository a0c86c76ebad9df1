/**
 * Issue 17, item 2: a credential's rotation timing on the embedded default. Its schedule carries its
 * own expression and time zone; a rotation announces itself (`credential.rotation-scheduled`), waits
 * for the notice's lead time and the credential's window, and keeps the previous key for the grace
 * period. Wait states are instant here (the runner's override); the process's Date is faked, so the
 * computed timestamps are exact.
 */
import { GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { setRotationState } from '#cli/rotation.ts';
import { ROTATION_SCHEDULE_GROUP } from '#core/config.ts';
import { credentialSecretName, TAG } from '#core/names.ts';
import { rotationScheduleName } from '#core/schedules.ts';
import { causeMessage } from '#core/step-error.ts';
import { addressReaderRequest, executionEnd, runExecution, runProvision } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
  },
});
// Tuesday 2026-12-01 12:00 UTC, 13:00 in Berlin (CET).
const NOW = new Date('2026-12-01T12:00:00.000Z');
const SATURDAY_NIGHTS = {
  schedule: 'cron(30 1 ? * SAT *)',
  timeZone: 'Europe/Berlin',
  window: { days: ['SAT'], start: '01:00', durationMinutes: 180 },
  gracePeriodMinutes: 240,
  noticeMinutes: 30,
};
let runs = 0;

async function history(executionArn: string): Promise<HistoryEvent[]> {
  const answer = await env.sfnClient.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return answer.events ?? [];
}

/** The input a Wait state was entered with. */
function waitInput(events: readonly HistoryEvent[], state: string): Record<string, unknown> {
  const entered = events.find(
    (e) => e.type === 'WaitStateEntered' && e.stateEnteredEventDetails?.name === state,
  );
  return JSON.parse(entered?.stateEnteredEventDetails?.input ?? '{}');
}

async function rotate(apiUser: string, extra: Record<string, unknown> = {}) {
  const done = await runExecution(
    env,
    env.rotateStateMachineArn,
    { target: 'fgt', apiUser, ...extra },
    `timing-${++runs}`,
  );
  expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
  return { done, events: await history(done.executionArn ?? '') };
}

/** How far a timestamp lies after another; the faked Date keeps running, so by a few milliseconds. */
function msAfter(timestamp: unknown, expected: string): number {
  const after = Date.parse(String(timestamp)) - Date.parse(expected);
  expect(after).toBeGreaterThanOrEqual(0);
  return after;
}

const notices = () =>
  env.eventBus.events
    .filter((e) => e.DetailType === 'credential.rotation-scheduled')
    .map((e) => JSON.parse(e.Detail ?? '{}'));

describe('rotation timing (local runtime)', () => {
  beforeAll(async () => {
    for (const [apiUser, rotation] of [
      ['weekend-bot', SATURDAY_NIGHTS],
      ['plain-bot', undefined],
    ] as const) {
      const done = await runProvision(env, {
        ...addressReaderRequest('fgt', apiUser, 'kim@example.com'),
        ...(rotation ? { rotation } : {}),
      });
      expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
    }
  });

  beforeEach(() => {
    // Only Date is faked, and it keeps running: timers, sockets and retries stay real.
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(NOW);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('puts the requested expression and time zone on the schedule, and the timing on a tag', async () => {
    // Prepare
    const secretName = credentialSecretName('fgt', 'weekend-bot');
    // Act
    const schedule = env.scheduler.schedules.get(
      `${ROTATION_SCHEDULE_GROUP}/${rotationScheduleName(secretName)}`,
    );
    const tags = (await env.store.describe(secretName))?.tags;
    // Assess
    expect(schedule).toMatchObject({
      ScheduleExpression: 'cron(30 1 ? * SAT *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
    expect(tags?.[TAG.rotation]).toBe('grace=240 notice=30 tz=Europe/Berlin window=SAT/01:00/180');
  });

  it('refuses a bad rotation setting, saying why, before anything is created', async () => {
    // Prepare
    const request = {
      ...addressReaderRequest('fgt', 'bad-timing', 'kim@example.com'),
      rotation: { schedule: 'rate(1 hour)', timeZone: 'Europe/Atlantis' },
    };
    // Act
    const bad = await runProvision(env, request);
    // Assess
    expect(bad.status).toBe('FAILED');
    expect(causeMessage(bad.cause)).toMatch(
      /rotation.schedule: rotates every 60 minutes: at most once a day/,
    );
    expect(causeMessage(bad.cause)).toMatch(/rotation.timeZone: "Europe\/Atlantis" is not a time zone/);
    expect(await env.store.describe(credentialSecretName('fgt', 'bad-timing'))).toBeUndefined();
  });

  it('announces a rotation fired outside its window, then waits until the window opens before changing anything', async () => {
    // Act
    const { events } = await rotate('weekend-bot');
    // Assess: Saturday 2026-12-05 01:00 in Berlin is 00:00 UTC.
    const [notice] = notices().filter((n) => n.apiUser === 'weekend-bot');
    expect(notice).toMatchObject({
      target: 'fgt',
      owner: 'kim@example.com',
      startAt: '2026-12-05T00:00:00.000Z',
      gracePeriodMinutes: 240,
    });
    expect(waitInput(events, 'AwaitRotationStart').startAt).toBe('2026-12-05T00:00:00.000Z');
    const entered = events
      .filter((e) => e.type?.endsWith('StateEntered'))
      .map((e) => e.stateEnteredEventDetails?.name);
    expect(entered.slice(0, 5)).toEqual([
      'DryRun',
      'ScheduleRotation',
      'AwaitRotationStart',
      'ValidateRotation',
      'IssuedBy',
    ]);
    expect(waitInput(events, 'GracePeriod').graceSeconds).toBe(240 * 60);
  });

  it('without settings: an hour’s notice, any time, two hours of grace (more than the caching clients’ hour)', async () => {
    // Act
    const { events } = await rotate('plain-bot');
    // Assess
    expect(msAfter(waitInput(events, 'AwaitRotationStart').startAt, '2026-12-01T13:00:00.000Z')).toBeLessThan(
      5000,
    );
    expect(waitInput(events, 'GracePeriod').graceSeconds).toBe(7200);
  });

  it('lets an operator start a rotation now, outside the window; the notice still goes out', async () => {
    // Act
    const { events } = await rotate('weekend-bot', { startNow: true });
    // Assess
    const { startAt } = waitInput(events, 'AwaitRotationStart');
    expect(msAfter(startAt, NOW.toISOString())).toBeLessThan(5000);
    expect(notices().at(-1)).toMatchObject({ apiUser: 'weekend-bot', startAt });
  });

  describe('provisioner rotation pause|resume, as the operator (the operator policy, enforced)', () => {
    const secretName = credentialSecretName('fgt', 'plain-bot');
    const scheduleKey = `${ROTATION_SCHEDULE_GROUP}/${rotationScheduleName(secretName)}`;
    const deps = () => ({
      scheduler: env.operator.schedulerClient,
      store: env.operator.store,
      scheduleGroup: ROTATION_SCHEDULE_GROUP,
      rotateStateMachineName: env.rotateStateMachineArn.split(':').at(-1) ?? '',
    });
    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line) };

    it('a paused schedule fires nothing and the pause is on the credential; resumed, it rotates again', async () => {
      // Act
      const paused = await setRotationState(deps(), secretName, 'DISABLED', io);
      const whilePaused = await env.scheduler.fire(ROTATION_SCHEDULE_GROUP, rotationScheduleName(secretName));
      const pausedState = env.scheduler.schedules.get(scheduleKey);
      const pausedTags = (await env.store.describe(secretName))?.tags;
      const resumed = await setRotationState(deps(), secretName, 'ENABLED', io);
      const fired = (await env.scheduler.fire(ROTATION_SCHEDULE_GROUP, rotationScheduleName(secretName))) as {
        executionArn: string;
      };
      const done = await executionEnd(env, fired.executionArn);
      // Assess
      expect([paused, resumed]).toEqual([0, 0]);
      expect(whilePaused).toBeUndefined();
      expect(pausedState).toMatchObject({ State: 'DISABLED', ScheduleExpression: 'rate(30 days)' });
      expect(pausedTags?.[TAG.rotationPaused]).toMatch(/^2026-12-01T12:00/);
      expect(env.scheduler.schedules.get(scheduleKey)).toMatchObject({
        State: 'ENABLED',
        ScheduleExpression: 'rate(30 days)',
        Target: { Arn: env.rotateStateMachineArn },
      });
      expect((await env.store.describe(secretName))?.tags[TAG.rotationPaused]).toBeUndefined();
      expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
      expect(lines).toEqual([
        expect.stringMatching(/^rotation of .*plain-bot paused/),
        expect.stringMatching(/resumed on rate\(30 days\) \(UTC\)$/),
      ]);
    });

    it('refuses what is not an active credential of the stack, changing nothing', async () => {
      // Act / Assess
      await expect(setRotationState(deps(), 'provisioner/fgt/nobody', 'DISABLED', io)).rejects.toThrow(
        /is not a credential of this stack/,
      );
      expect(env.scheduler.schedules.get(scheduleKey)?.State).toBe('ENABLED');
    });
  });
});
