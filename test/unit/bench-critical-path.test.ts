/**
 * The offboarding bench's reading of a revocation's history (bench/critical-path.ts): the time to
 * the last API-revocable credential proven refused, and the steps in sequence that led there, a
 * Map slot held by an operator task among them. Events are in AWS's history shape, each naming the
 * one before it in its branch (previousEventId).
 */
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '#local/step-functions.ts';
import { criticalPath } from '../../bench/critical-path.ts';
import { latencyFlag, measuredLambdaStartMs } from '../../bench/offboarding.ts';

/** A history written branch by branch: `at` ms after the event, each event after the branch's last. */
function historyBuilder() {
  const events: HistoryEvent[] = [];
  const last = new Map<string, number>();
  const add = (
    branch: string,
    at: number,
    type: string,
    details: Record<string, unknown> = {},
    after?: number,
  ) => {
    const event = {
      id: events.length + 1,
      previousEventId: after ?? last.get(branch) ?? 0,
      timestamp: at,
      type,
      ...details,
    };
    events.push(event);
    last.set(branch, event.id);
    return event.id;
  };
  const entered = (branch: string, at: number, type: string, name: string, input: unknown = {}) =>
    add(branch, at, `${type}StateEntered`, {
      stateEnteredEventDetails: { name, input: JSON.stringify(input) },
    });
  const exited = (branch: string, at: number, type: string, name: string) =>
    add(branch, at, `${type}StateExited`, { stateExitedEventDetails: { name, output: '{}' } });
  const task = (branch: string, from: number, to: number, name: string, input?: unknown) => {
    entered(branch, from, 'Task', name, input);
    add(branch, from, 'TaskScheduled');
    add(branch, from, 'TaskStarted');
    add(branch, to, 'TaskSucceeded');
    exited(branch, to, 'Task', name);
  };
  return { events, add, entered, exited, task };
}

const item = (target: string, apiUser: string) => ({ credential: { target, apiUser } });

describe('the offboarding critical path', () => {
  it('runs through the operator task that held the only slot, then the API credential’s own steps', () => {
    // Prepare: the event at 0; MaxConcurrency 1; iteration 0 waits for a person, iteration 1 for iteration 0
    const h = historyBuilder();
    h.add('execution', 300, 'ExecutionStarted');
    h.task('execution', 300, 800, 'FindOwnerCredentials');
    h.entered('execution', 800, 'Map', 'RevokeEach');
    const mapStarted = h.add('execution', 800, 'MapStateStarted');
    h.add(
      '0',
      800,
      'MapIterationStarted',
      { mapIterationStartedEventDetails: { index: 0, name: 'RevokeEach' } },
      mapStarted,
    );
    h.task('0', 800, 1200, 'RevokeAtProduct', item('arm', 'kim-1'));
    h.entered('0', 1200, 'Task', 'RequestOperatorRevocation');
    h.add('0', 1200, 'TaskScheduled');
    h.add('0', 1500, 'TaskSubmitted');
    h.add('0', 6500, 'TaskSucceeded');
    h.exited('0', 6500, 'Task', 'RequestOperatorRevocation');
    h.task('0', 6500, 7000, 'ProveRevoked');
    h.task('0', 7000, 7500, 'RetireCredential');
    h.add('0', 7500, 'MapIterationSucceeded', {
      mapIterationSucceededEventDetails: { index: 0, name: 'RevokeEach' },
    });
    h.add(
      '1',
      7500,
      'MapIterationStarted',
      { mapIterationStartedEventDetails: { index: 1, name: 'RevokeEach' } },
      mapStarted,
    );
    h.task('1', 7500, 8000, 'RevokeAtProduct', item('fgt', 'kim-2'));
    h.entered('1', 8000, 'Task', 'ProveRevoked');
    h.add('1', 8000, 'TaskScheduled');
    h.add('1', 8000, 'TaskStarted');
    h.add('1', 8100, 'TaskFailed');
    h.add('1', 39_100, 'TaskScheduled');
    h.add('1', 39_100, 'TaskStarted');
    h.add('1', 39_300, 'TaskSucceeded');
    h.exited('1', 39_300, 'Task', 'ProveRevoked');
    // Act
    const path = criticalPath(h.events, 0);
    // Assess
    expect(path.apiRevocable).toBe(1);
    expect(path.operatorRevocations).toBe(1);
    expect(path.lastRefusalSeconds).toBe(39.3);
    expect(path.lastOperatorTaskSeconds).toBe(1.5);
    expect(path.steps.map((s) => s.seconds)).toEqual([0.3, 0.5, 6.7, 0.5, 31.3]);
    expect(path.steps[2]?.step).toContain('slot held by iteration 0 (arm/kim-1, a person revokes)');
    expect(path.steps[4]?.step).toBe('ProveRevoked, 2 attempts (fgt/kim-2, iteration 1): refused');
  });

  it('keeps the two lanes apart: an operator task in its own lane holds no API slot', () => {
    // Prepare: RevokeByLane; each lane numbers its iterations from 0; the person answers at 6.5 s
    const h = historyBuilder();
    h.add('execution', 300, 'ExecutionStarted');
    h.task('execution', 300, 800, 'FindOwnerCredentials');
    h.entered('execution', 800, 'Parallel', 'RevokeByLane');
    const parallelStarted = h.add('execution', 800, 'ParallelStateStarted');
    const lane = (name: string) => {
      const entered = h.add(
        'execution',
        800,
        'MapStateEntered',
        {
          stateEnteredEventDetails: { name, input: '{}' },
        },
        parallelStarted,
      );
      return h.add('execution', 800, 'MapStateStarted', {}, entered);
    };
    const apiLane = lane('RevokeEach');
    const operatorLane = lane('RevokeEachInOperatorLane');
    const iteration = (branch: string, map: string, after: number) =>
      h.add(
        branch,
        800,
        'MapIterationStarted',
        { mapIterationStartedEventDetails: { index: 0, name: map } },
        after,
      );
    iteration('op', 'RevokeEachInOperatorLane', operatorLane);
    iteration('api', 'RevokeEach', apiLane);
    h.task('op', 800, 1000, 'RevokeAtProductInOperatorLane', item('arm', 'kim-1'));
    h.task('api', 800, 1100, 'RevokeAtProduct', item('fgt', 'kim-2'));
    h.entered('op', 1000, 'Task', 'RequestOperatorRevocationInOperatorLane');
    h.add('op', 1000, 'TaskScheduled');
    h.add('op', 1200, 'TaskSubmitted');
    h.task('api', 1100, 1400, 'ProveRevoked');
    h.add('op', 6500, 'TaskSucceeded');
    h.exited('op', 6500, 'Task', 'RequestOperatorRevocationInOperatorLane');
    // Act
    const path = criticalPath(h.events, 0);
    // Assess
    expect(path.apiRevocable).toBe(1);
    expect(path.operatorRevocations).toBe(1);
    expect(path.lastOperatorTaskSeconds).toBe(1.2);
    expect(path.lastRefusalSeconds).toBe(1.4);
    expect(path.steps.map((s) => s.step)).toEqual([
      'deactivation event to ExecutionStarted (PutEvents, rule, start-revocation, StartExecution)',
      'FindOwnerCredentials',
      'RevokeAtProduct (fgt/kim-2)',
      'ProveRevoked (fgt/kim-2, iteration 0): refused',
    ]);
  });

  it('has no figure when no API-revocable credential was proven refused', () => {
    // Prepare
    const h = historyBuilder();
    h.add('execution', 100, 'ExecutionStarted');
    // Act
    const path = criticalPath(h.events, 0);
    // Assess
    expect(path.lastRefusalSeconds).toBeNaN();
    expect(path.steps).toEqual([]);
  });
});

describe('the offboarding bench’s settings', () => {
  it('takes the median of the handlers’ measured cold starts, none when none were measured', () => {
    // Act, Assess
    expect(
      measuredLambdaStartMs({
        'coldStart.prove-revoked.medianMs': 90,
        'coldStart.retire-credential.medianMs': 120,
        'coldStart.revoke-at-product.medianMs': 101,
        'coldStart.verify-credential.sdkFromRuntime.medianMs': 185,
      }),
    ).toBe(101);
    expect(measuredLambdaStartMs({ 'bulk.rotate.failed': 0 })).toBeUndefined();
  });

  it.each(['-1', '2.5', 'fast', '60001'])('refuses the latency %s with the flag’s name', (value) => {
    // Act, Assess
    expect(() => latencyFlag('aws-latency-ms', value)).toThrow(
      `--aws-latency-ms must be whole milliseconds from 0 to 60000, not ${value}`,
    );
  });
});
