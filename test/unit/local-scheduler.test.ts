/**
 * The local Scheduler's one-time schedules (local/scheduler.ts): an `at()` schedule fires once when
 * the clock passes its time, and `ActionAfterCompletion: DELETE` deletes it after it invoked its
 * target, as EventBridge Scheduler does ("Schedule types", one-time schedules:
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#one-time; "Deleting a
 * schedule": https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-delete.html;
 * ActionAfterCompletion, NONE | DELETE, default NONE:
 * https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html).
 */
import {
  CreateScheduleCommand,
  GetScheduleCommand,
  SchedulerClient,
  UpdateScheduleCommand,
  type UpdateScheduleCommandInput,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalScheduler } from '#local/scheduler.ts';
import { failure } from '../failure.ts';

const started: { arn: string; input: string }[] = [];
let scheduler: Awaited<ReturnType<typeof startLocalScheduler>>;
let client: SchedulerClient;

const oneTime = (name: string, at: string, action?: string) =>
  new CreateScheduleCommand({
    Name: name,
    GroupName: 'g',
    ScheduleExpression: `at(${at})`,
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ...(action ? { ActionAfterCompletion: action as 'DELETE' } : {}),
    Target: {
      Arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:m',
      RoleArn: 'arn:aws:iam::000000000000:role/r',
      Input: `{"n":"${name}"}`,
    },
  });

describe('local Scheduler: one-time schedules', () => {
  beforeAll(async () => {
    scheduler = await startLocalScheduler({
      startExecution: async (arn, input) => {
        started.push({ arn, input });
        return { executionArn: `${arn}:${started.length}` };
      },
    });
    client = new SchedulerClient({
      region: 'us-east-1',
      endpoint: scheduler.url,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
  });

  afterAll(async () => {
    client.destroy();
    await scheduler.close();
  });

  it('fires an at() schedule once its time has passed, then deletes it (DELETE) or keeps it without firing again (NONE)', async () => {
    // Prepare
    await client.send(oneTime('gone-after', '2030-01-02T03:04:05', 'DELETE'));
    await client.send(oneTime('kept-after', '2030-01-02T03:04:05'));
    // Act
    const early = await scheduler.fireDue(Date.parse('2030-01-02T03:04:04.999Z'));
    const due = await scheduler.fireDue(Date.parse('2030-01-02T03:04:05.000Z'));
    const again = await scheduler.fireDue(Date.parse('2030-01-03T00:00:00.000Z'));
    // Assess
    expect(early).toEqual([]);
    expect(due).toHaveLength(2);
    expect(again).toEqual([]);
    expect(started.map((s) => s.input)).toEqual(['{"n":"gone-after"}', '{"n":"kept-after"}']);
    expect(scheduler.schedules.has('g/gone-after')).toBe(false);
    const kept = await client.send(new GetScheduleCommand({ Name: 'kept-after', GroupName: 'g' }));
    expect(kept.ActionAfterCompletion).toBe('NONE');
  });

  it('refuses an ActionAfterCompletion outside NONE and DELETE, creating nothing', async () => {
    // Act
    const refused = await failure(client.send(oneTime('bad-action', '2030-01-02T03:04:05', 'ARCHIVE')));
    // Assess
    expect(refused).toBeInstanceOf(ValidationException);
    expect(refused.message).toBe(
      "1 validation error detected: Value 'ARCHIVE' at 'actionAfterCompletion' failed to satisfy constraint: Member must satisfy enum value set: [NONE, DELETE]",
    );
    expect(scheduler.schedules.has('g/bad-action')).toBe(false);
  });

  // UpdateSchedule replaces the whole schedule: ScheduleExpression, FlexibleTimeWindow and Target
  // (its Arn and RoleArn) are required on every update, as on CreateSchedule (API_UpdateSchedule,
  // "Request Body", Required: Yes: https://docs.aws.amazon.com/scheduler/latest/APIReference/API_UpdateSchedule.html;
  // Target: https://docs.aws.amazon.com/scheduler/latest/APIReference/API_Target.html). The wording is
  // the AWS JSON protocols' for a missing member (not a recorded Scheduler answer).
  it('refuses an UpdateSchedule that leaves out a required field, in AWS validation wording, changing nothing', async () => {
    // Prepare
    await client.send(oneTime('kept-whole', '2030-01-02T03:04:05'));
    const before = scheduler.schedules.get('g/kept-whole');
    // Only the state, as if an update were a patch.
    const partial = {
      Name: 'kept-whole',
      GroupName: 'g',
      ScheduleExpression: 'at(2031-01-01T00:00:00)',
      State: 'DISABLED',
      Target: { Arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:m' },
    } as UpdateScheduleCommandInput;
    // Act
    const refused = await failure(client.send(new UpdateScheduleCommand(partial)));
    // Assess
    expect(refused).toBeInstanceOf(ValidationException);
    expect(refused.message).toBe(
      "2 validation errors detected: Value null at 'flexibleTimeWindow' failed to satisfy constraint: Member must not be null; Value null at 'target.roleArn' failed to satisfy constraint: Member must not be null",
    );
    expect(scheduler.schedules.get('g/kept-whole')).toBe(before);
  });

  it('refuses a CreateSchedule without its ScheduleExpression in the same wording, creating nothing', async () => {
    // Act
    const refused = await failure(
      client.send(
        new CreateScheduleCommand({
          Name: 'no-expression',
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: {
            Arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:m',
            RoleArn: 'arn:aws:iam::000000000000:role/r',
          },
        } as unknown as ConstructorParameters<typeof CreateScheduleCommand>[0]),
      ),
    );
    // Assess
    expect(refused.message).toBe(
      "1 validation error detected: Value null at 'scheduleExpression' failed to satisfy constraint: Member must not be null",
    );
    expect(scheduler.schedules.has('default/no-expression')).toBe(false);
  });
});
