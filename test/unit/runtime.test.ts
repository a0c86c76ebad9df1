/**
 * What the handlers share (lambdas/handlers/runtime.ts), over mocked SDK clients: dependencies built
 * once per container, rotation schedules in EventBridge Scheduler with their errors classified,
 * executions started and looked up by name, and the step wrapper's logging.
 */
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { FatalError, RetryableError } from '#core/errors.ts';
import { loadVendor } from '#core/products/adapters.ts';
import {
  executionRecent,
  resetWorkflowDeps,
  starterOf,
  workflowDeps,
  workflowStep,
} from '#handlers/runtime.ts';
import { captureLambdaLogs, type LogCapture } from '#local/log-capture.ts';
import { lambdaContext } from '#test/support/lambda-context.ts';
import { failure } from '../failure.ts';

vi.mock('#core/products/adapters.ts', async (original) => ({
  ...(await original<typeof import('#core/products/adapters.ts')>()),
  loadVendor: vi.fn(async () => ({ name: 'fake' })),
}));

const ACCOUNT = 'arn:aws:states:us-east-1:000000000000';
const SETTINGS = {
  ROTATION_SCHEDULE_GROUP: 'credential-provisioner',
  ROTATE_STATE_MACHINE_ARN: `${ACCOUNT}:stateMachine:rotate`,
  REFRESH_STATE_MACHINE_ARN: `${ACCOUNT}:stateMachine:refresh`,
  PROVISION_STATE_MACHINE_ARN: `${ACCOUNT}:stateMachine:provision`,
  REVOKE_STATE_MACHINE_ARN: `${ACCOUNT}:stateMachine:revoke`,
  ROTATION_SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/scheduler',
  ROTATION_DEAD_LETTER_QUEUE_ARN: 'arn:aws:sqs:us-east-1:000000000000:schedules-dlq',
};
const OPTIONAL = ['ROTATION_RATE', 'TOKEN_REFRESH_RATE', 'PROVISIONER_VENDOR_TIMEOUT_MS'];
const credential = { secretName: 'provisioner/fgt/bot', target: 'fgt', apiUser: 'bot' };
const awsError = (name: string) => Object.assign(new Error(`${name} happened`), { name });

const scheduler = mockClient(SchedulerClient);
const sfn = mockClient(SFNClient);

beforeEach(() => {
  scheduler.reset();
  sfn.reset();
  vi.clearAllMocks();
  Object.assign(process.env, SETTINGS);
  for (const name of OPTIONAL) delete process.env[name];
  resetWorkflowDeps();
});

afterAll(() => {
  for (const name of [...Object.keys(SETTINGS), ...OPTIONAL]) delete process.env[name];
});

describe('workflowDeps', () => {
  it('is built once per container, and again after a reset', () => {
    // Act
    const first = workflowDeps();
    const again = workflowDeps();
    resetWorkflowDeps();
    const rebuilt = workflowDeps();
    // Assess
    expect(again).toBe(first);
    expect(rebuilt).not.toBe(first);
  });

  it('builds vendors with the request timeout PROVISIONER_VENDOR_TIMEOUT_MS sets when the container starts, else the adapter’s own', () => {
    // Prepare
    const target = { vendor: 'fortios' } as never;
    // Act: the configuration is read once per container, so the second container sees the setting.
    workflowDeps().vendorFor({ target });
    process.env.PROVISIONER_VENDOR_TIMEOUT_MS = '250';
    resetWorkflowDeps();
    workflowDeps().vendorFor({ target });
    // Assess
    expect(vi.mocked(loadVendor).mock.calls).toEqual([
      [{ timeoutMs: undefined, target }],
      [{ timeoutMs: 250, target }],
    ]);
  });
});

describe('rotation schedules', () => {
  it('creates a rotation on the recurring rate, spread over an hour, starting the rotate workflow, with a dead-letter queue', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({});
    // Act
    await workflowDeps().schedules.ensure({ ...credential, workflow: 'rotate' });
    // Assess
    const input = scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input;
    expect(input).toEqual({
      Name: expect.stringMatching(/^rotate-fgt_bot-[0-9a-f]{10}$/),
      GroupName: 'credential-provisioner',
      ScheduleExpression: 'rate(30 days)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
      Target: {
        Arn: SETTINGS.ROTATE_STATE_MACHINE_ARN,
        RoleArn: SETTINGS.ROTATION_SCHEDULER_ROLE_ARN,
        Input: '{"target":"fgt","apiUser":"bot"}',
        // A schedule whose invocation fails keeps the event here instead of dropping it
        // (https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html).
        DeadLetterConfig: { Arn: SETTINGS.ROTATION_DEAD_LETTER_QUEUE_ARN },
      },
      Description: 'Rotates provisioner/fgt/bot',
    });
  });

  it('creates a token refresh on its rate, exactly on time, starting the refresh workflow', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({});
    process.env.TOKEN_REFRESH_RATE = 'rate(20 minutes)';
    // Act
    await workflowDeps().schedules.ensure({ ...credential, workflow: 'refresh' });
    // Assess
    expect(scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input).toMatchObject({
      ScheduleExpression: 'rate(20 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: SETTINGS.REFRESH_STATE_MACHINE_ARN },
      Description: 'Refreshes the access token of provisioner/fgt/bot',
    });
  });

  it('creates a one-time rotation at the given instant, to the second, in UTC; ROTATION_RATE sets the rate', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({});
    process.env.ROTATION_RATE = 'rate(7 days)';
    // Act
    await workflowDeps().schedules.ensure({
      ...credential,
      workflow: 'rotate',
      at: '2027-02-03T04:05:06.789Z',
    });
    await workflowDeps().schedules.ensure({ ...credential, workflow: 'rotate' });
    // Assess
    const [once, recurring] = scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input);
    expect(once?.ScheduleExpression).toBe('at(2027-02-03T04:05:06)');
    expect(recurring?.ScheduleExpression).toBe('rate(7 days)');
  });

  it('takes a schedule that exists as created, and a schedule already gone as deleted', async () => {
    // Prepare
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ Message: 'exists', message: 'exists', $metadata: {} }));
    scheduler
      .on(DeleteScheduleCommand)
      .rejects(new ResourceNotFoundException({ Message: 'gone', message: 'gone', $metadata: {} }));
    // Act
    const created = workflowDeps().schedules.ensure({ ...credential, workflow: 'rotate' });
    const removed = workflowDeps().schedules.remove(credential.secretName);
    // Assess
    await expect(created).resolves.toBeUndefined();
    await expect(removed).resolves.toBeUndefined();
    expect(scheduler.commandCalls(DeleteScheduleCommand)[0]?.args[0].input).toEqual({
      Name: expect.stringMatching(/^rotate-fgt_bot-/),
      GroupName: 'credential-provisioner',
    });
  });

  it.each([
    ['ThrottlingException', RetryableError],
    ['InternalServerException', RetryableError],
    ['AccessDeniedException', FatalError],
    ['ValidationException', FatalError],
  ])('classifies %s from Scheduler for Retry / Catch, naming the action', async (name, type) => {
    // Prepare
    scheduler.on(CreateScheduleCommand).rejects(awsError(name));
    scheduler.on(DeleteScheduleCommand).rejects(awsError(name));
    // Act
    const create = await failure(workflowDeps().schedules.ensure({ ...credential, workflow: 'rotate' }));
    const remove = await failure(workflowDeps().schedules.remove(credential.secretName));
    // Assess
    expect(create).toBeInstanceOf(type);
    expect(create.message).toMatch(new RegExp(`^EventBridge Scheduler CreateSchedule .*\\(${name}\\)$`));
    expect(remove).toBeInstanceOf(type);
    expect(remove.message).toMatch(new RegExp(`^EventBridge Scheduler DeleteSchedule .*\\(${name}\\)$`));
  });

  it.each([
    'ROTATION_SCHEDULE_GROUP',
    'ROTATE_STATE_MACHINE_ARN',
    'ROTATION_SCHEDULER_ROLE_ARN',
    'ROTATION_DEAD_LETTER_QUEUE_ARN',
  ])('refuses to create a schedule while %s is not set, without retrying', async (name) => {
    // Prepare
    delete process.env[name];
    // Act
    const error = await failure(workflowDeps().schedules.ensure({ ...credential, workflow: 'rotate' }));
    // Assess: the message names the missing setting.
    expect(error).toBeInstanceOf(FatalError);
    expect(error.message).toBe(`${name} is not set`);
    expect(scheduler.commandCalls(CreateScheduleCommand)).toHaveLength(0);
  });
});

describe('starterOf', () => {
  it('starts the named execution with the input as JSON, and gives its ARN', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'ignored' });
    // Act
    const started = await starterOf('provisionStateMachineArn').start('provision-T-1-abc', { a: 1 });
    // Assess
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: SETTINGS.PROVISION_STATE_MACHINE_ARN,
      name: 'provision-T-1-abc',
      input: '{"a":1}',
    });
    expect(started).toEqual({
      executionArn: `${ACCOUNT}:execution:provision:provision-T-1-abc`,
      alreadyStarted: false,
    });
  });

  it('answers a name already used with that execution, and passes other failures on', async () => {
    // Prepare
    sfn
      .on(StartExecutionCommand)
      .rejectsOnce(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }))
      .rejectsOnce(awsError('ThrottlingException'));
    const starter = starterOf('revokeStateMachineArn');
    // Act
    const again = await starter.start('revoke-1', {});
    const throttled = await failure(starter.start('revoke-2', {}));
    // Assess
    expect(again).toEqual({ executionArn: `${ACCOUNT}:execution:revoke:revoke-1`, alreadyStarted: true });
    expect(throttled.name).toBe('ThrottlingException');
  });

  it('refuses to build a starter while its state machine is not set', () => {
    // Prepare
    delete process.env.PROVISION_STATE_MACHINE_ARN;
    // Act
    const build = () => starterOf('provisionStateMachineArn');
    // Assess
    expect(build).toThrow(new FatalError('PROVISION_STATE_MACHINE_ARN is not set'));
  });
});

describe('executionRecent', () => {
  const minute = 60_000;
  it.each([
    ['provision-T-1-abc', 'provision', 'RUNNING', undefined, true],
    ['provision-T-1-abc', 'provision', 'SUCCEEDED', 10 * minute, false],
    ['provision-T-1-abc', 'provision', 'FAILED', 1 * minute, true],
    ['rotate-fgt-bot-1', 'rotate', 'RUNNING', undefined, true],
    ['rotate-fgt-bot-1', 'rotate', 'FAILED', 10 * minute, false],
  ] as const)(
    'looks %s up on the %s state machine: %s, stopped %s ms ago, is recent within 6 minutes: %s',
    async (requestId, machine, status, stoppedAgo, recent) => {
      // Prepare
      const stopDate = stoppedAgo === undefined ? undefined : new Date(Date.now() - stoppedAgo);
      sfn.on(DescribeExecutionCommand).resolves({ status, stopDate });
      // Act
      const answer = await executionRecent(requestId, 6 * minute);
      // Assess
      expect(answer).toBe(recent);
      expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({
        executionArn: `${ACCOUNT}:execution:${machine}:${requestId}`,
      });
    },
  );

  it('takes an execution that does not exist as not recent, and passes other failures on', async () => {
    // Prepare
    sfn
      .on(DescribeExecutionCommand)
      .rejectsOnce(awsError('ExecutionDoesNotExist'))
      .rejectsOnce(awsError('ThrottlingException'));
    // Act
    const missing = await executionRecent('provision-gone-1', 6 * minute);
    const throttled = await failure(executionRecent('provision-busy-1', 6 * minute));
    // Assess
    expect(missing).toBe(false);
    expect(throttled.name).toBe('RetryableError');
  });

  it('refuses to look up while the state machine is not set', async () => {
    // Prepare
    delete process.env.ROTATE_STATE_MACHINE_ARN;
    // Act
    const error = await failure(executionRecent('rotate-x-1', 6 * minute));
    // Assess
    expect(error.message).toBe('ROTATE_STATE_MACHINE_ARN is not set');
  });
});

describe('workflowStep', () => {
  let logs: LogCapture;

  beforeAll(() => {
    logs = captureLambdaLogs();
  });

  afterAll(() => {
    logs.stop();
  });

  beforeEach(() => {
    logs.lines.length = 0;
  });

  it('returns the step’s result and logs that it is done, with the Lambda context but not the data', async () => {
    // Prepare
    const step = workflowStep('doThing', async (event: { secret: string }) => ({ echoed: event.secret }));
    // Act
    const out = await step({ secret: 'input-secret-0000' }, lambdaContext);
    // Assess
    expect(out).toEqual({ echoed: 'input-secret-0000' });
    expect(logs.lines).toHaveLength(1);
    expect(JSON.parse(logs.lines[0] ?? '{}')).toMatchObject({
      level: 'INFO',
      message: 'doThing done',
      function_name: 'test',
      function_request_id: 'req-1',
    });
    expect(logs.lines[0]).not.toContain('input-secret-0000');
  });

  it('rethrows the step’s error itself, after logging its name and message only', async () => {
    // Prepare
    const thrown = new FatalError('profile addr-ro is not allowed');
    const step = workflowStep('doThing', async (_: { secret: string }) => {
      throw thrown;
    });
    // Act
    const error = await failure(step({ secret: 'input-secret-0000' }, lambdaContext));
    // Assess
    expect(error).toBe(thrown);
    expect(JSON.parse(logs.lines.at(-1) ?? '{}')).toMatchObject({
      level: 'ERROR',
      message: 'doThing failed',
      errorName: 'FatalError',
      errorMessage: 'profile addr-ro is not allowed',
    });
    expect(logs.lines.join('\n')).not.toContain('input-secret-0000');
  });
});
