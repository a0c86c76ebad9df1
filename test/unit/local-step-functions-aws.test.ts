/**
 * The local Step Functions endpoint answers as AWS does. Each expectation names its source: an AWS
 * API reference or developer guide page, or a recorded AWS response (LocalStack's AWS-validated
 * snapshots, github:localstack/localstack `tests/aws/services/stepfunctions/v2/...snapshot.json`).
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LambdaFunctionError } from '#local/lambda-runtime.ts';
import { startLocalStepFunctions } from '#local/step-functions.ts';

const FN = 'arn:aws:lambda:us-east-1:000000000000:function';
const LIMIT = 262_144;
type Invoke = (functionArn: string, payload: unknown) => Promise<unknown>;

const running: { close(): Promise<void>; client: SFNClient }[] = [];

/** One state machine `demo` on a fresh endpoint, with an SDK client for it. */
async function endpoint(definition: object, invoke: Invoke) {
  const sfn = await startLocalStepFunctions({
    machines: [{ name: 'demo', definition }],
    invoke,
    waitOverrideMs: 0,
    retryOverrideMs: 0,
  });
  const client = new SFNClient({
    endpoint: sfn.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  running.push({ close: () => sfn.close(), client });
  const stateMachineArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:demo';
  const run = async (input: unknown, name?: string) => {
    const { executionArn = '' } = await client.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
    );
    await sfn.service.waitForExecution(executionArn);
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    const events = (await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 })))
      .events as HistoryEvent[];
    return { described, events, executionArn };
  };
  return { sfn, client, stateMachineArn, run };
}

afterEach(async () => {
  vi.useRealTimers();
  for (const { close, client } of running.splice(0)) {
    client.destroy();
    await close();
  }
});

const task = (fn: string, extra: object = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: `${FN}:${fn}`, 'Payload.$': '$' },
  ...extra,
});

const oversized = () => ({ blob: 'a'.repeat(257 * 1024) });
const limitCause = (what: string) =>
  `The state/task '${what}' returned a result with a size exceeding the maximum number of bytes service limit.`;

describe('the 256 KiB payload limit (Step Functions quotas: 256 KiB of data as a UTF-8 encoded string)', () => {
  it('StartExecution refuses an input over 262,144 bytes with a ValidationException and starts nothing', async () => {
    // Source: StartExecution API reference, `input`: "Length Constraints: Maximum length of 262144";
    // a violated length constraint answers ValidationException (HTTP 400).
    const { client, stateMachineArn } = await endpoint(
      { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
      async () => null,
    );
    const justUnder = JSON.stringify({ v: 'é'.repeat((LIMIT - 10) / 2 - 1) });
    const over = JSON.stringify({ v: 'é'.repeat(LIMIT / 2) });
    // Act
    const accepted = await client.send(new StartExecutionCommand({ stateMachineArn, input: justUnder }));
    const refused = client.send(new StartExecutionCommand({ stateMachineArn, input: over }));
    // Assess: bytes of UTF-8 count, not characters
    expect(Buffer.byteLength(justUnder)).toBeLessThanOrEqual(LIMIT);
    expect(over.length).toBeLessThan(LIMIT);
    expect(accepted.executionArn).toBeDefined();
    await expect(refused).rejects.toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
      message:
        "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144",
    });
  });

  it('a task result over the limit fails the task with States.DataLimitExceeded, which States.ALL catches', async () => {
    // Source (recorded): test_states_errors.snapshot.json, test_service_task_lambada_catch_state_all_
    // data_limit_exceeded_on_large_utf8_response: TaskFailed {error States.DataLimitExceeded, cause
    // "The state/task 'lambda' returned ..."}, then the States.ALL catcher's state. (The developer
    // guide's "Error names" calls it terminal for States.ALL; AWS caught it there.)
    const { run } = await endpoint(
      {
        StartAt: 'Big',
        States: {
          Big: task('big', { Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }], End: true }),
          Handled: { Type: 'Pass', End: true },
        },
      },
      async () => oversized(),
    );
    // Act
    const { described, events } = await run({});
    // Assess
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '')).toEqual({
      Error: 'States.DataLimitExceeded',
      Cause: limitCause('lambda'),
    });
    expect(events.find((e) => e.type === 'TaskFailed')?.taskFailedEventDetails).toMatchObject({
      error: 'States.DataLimitExceeded',
      cause: limitCause('lambda'),
      resource: 'invoke',
      resourceType: 'lambda',
    });
  });

  it('a state output over the limit fails the execution; no catcher sees it', async () => {
    // Source (recorded): test_states_errors.snapshot.json, test_start_large_input: a Pass state's
    // result of 257 KiB: ExecutionStarted, PassStateEntered, ExecutionFailed {States.DataLimitExceeded,
    // "The state/task 'State_1' returned ..."}. The developer guide ("Error names", States.ALL):
    // States.ALL cannot catch States.DataLimitExceeded; so a Map's results over the limit are terminal.
    const { run } = await endpoint(
      {
        StartAt: 'State_1',
        States: { State_1: { Type: 'Pass', Result: oversized(), End: true } },
      },
      async () => null,
    );
    const mapped = await endpoint(
      {
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemProcessor: { StartAt: 'Half', States: { Half: task('half', { End: true }) } },
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }],
            Next: 'After',
          },
          After: task('after', { End: true }),
          Handled: { Type: 'Pass', End: true },
        },
      },
      async (arn) => {
        if (arn.endsWith(':after')) throw new Error('the state after the Map ran');
        return { half: 'a'.repeat(140 * 1024) };
      },
    );
    // Act
    const pass = await run({});
    const map = await mapped.run({ items: [1, 2] });
    // Assess
    expect(pass.described).toMatchObject({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause: limitCause('State_1'),
    });
    expect(pass.events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'ExecutionFailed',
    ]);
    expect(map.described).toMatchObject({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause: limitCause('Each'),
    });
    const entered = map.events.map((e) => e.stateEnteredEventDetails?.name);
    expect(entered).not.toContain('After');
    expect(entered).not.toContain('Handled');
  });
});

describe('timeouts as AWS gives them', () => {
  const callback = (extra: object) => ({
    StartAt: 'Ask',
    States: {
      Ask: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: `${FN}:ask`, Payload: { 'token.$': '$$.Task.Token' } },
        HeartbeatSeconds: 60,
        TimeoutSeconds: 3600,
        ...extra,
      },
      ...('Catch' in extra ? { Handled: { Type: 'Pass', End: true } } : {}),
    },
  });

  it('a lapsed heartbeat fails the task with States.Timeout and no cause; the execution carries no cause either', async () => {
    // Source (recorded): test_callback.snapshot.json, test_sqs_wait_for_task_token_timeout: TaskTimedOut
    // {error "States.Timeout", resource, resourceType} without cause, ExecutionFailed {error
    // "States.Timeout"} without cause. The developer guide: a heartbeat that lapses is a States.Timeout.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { sfn, client, stateMachineArn } = await endpoint(callback({ End: true }), async () => null);
    const { executionArn } = await sfn.service.operations.StartExecution({ stateMachineArn, input: '{}' });
    // Act
    await vi.advanceTimersByTimeAsync(61_000);
    await sfn.service.waitForExecution(executionArn);
    vi.useRealTimers();
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    const { events = [] } = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    // Assess
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('States.Timeout');
    expect(described).not.toHaveProperty('cause');
    expect(events.find((e) => e.type === 'TaskTimedOut')?.taskTimedOutEventDetails).toEqual({
      error: 'States.Timeout',
      resource: 'invoke.waitForTaskToken',
      resourceType: 'lambda',
    });
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: 'States.Timeout' },
    });
    expect(events.at(-1)?.executionFailedEventDetails).not.toHaveProperty('cause');
  });

  it('a caught timeout has an empty Cause; heartbeats keep the task alive', async () => {
    // Source (recorded): test_task_service_lambda.snapshot.json, test_invoke_timeout: the catcher's
    // state gets {"Error":"States.Timeout","Cause":""}.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const tokens: string[] = [];
    const { sfn, stateMachineArn } = await endpoint(
      callback({ Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }], End: true }),
      async (_arn, payload) => {
        tokens.push((payload as { token: string }).token);
        return null;
      },
    );
    const { executionArn } = await sfn.service.operations.StartExecution({ stateMachineArn, input: '{}' });
    await vi.advanceTimersByTimeAsync(50_000);
    sfn.service.operations.SendTaskHeartbeat({ taskToken: tokens[0] });
    await vi.advanceTimersByTimeAsync(50_000);
    // Act: no heartbeat for 60 s
    await vi.advanceTimersByTimeAsync(20_000);
    const described = await sfn.service.waitForExecution(executionArn);
    // Assess: alive at 100 s thanks to the heartbeat at 50 s; timed out at 110 s
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '')).toEqual({ Error: 'States.Timeout', Cause: '' });
  });

  it('a Task without TimeoutSeconds has no deadline (AWS has none; aws-local-stepfunctions defaults to 60 s)', async () => {
    // Source: Amazon States Language, Task state: "TimeoutSeconds ... if not provided, the default
    // value is 99999999" (states-language.net/spec.html#task-state).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { sfn, stateMachineArn } = await endpoint(
      { StartAt: 'Slow', States: { Slow: task('slow', { End: true }) } },
      () => new Promise((resolve) => setTimeout(() => resolve({ done: true }), 120_000)),
    );
    const { executionArn } = await sfn.service.operations.StartExecution({ stateMachineArn, input: '{}' });
    // Act
    await vi.advanceTimersByTimeAsync(121_000);
    const described = await sfn.service.waitForExecution(executionArn);
    // Assess
    expect(described.status).toBe('SUCCEEDED');
  });
});

describe('the execution history and DescribeExecution as AWS records them', () => {
  it('a Task: TaskStateEntered, TaskScheduled (resource, resourceType, parameters), TaskStarted, TaskSucceeded, TaskStateExited; ids from 1', async () => {
    // Source (recorded): test_states_errors.snapshot.json and test_task_service_lambda.snapshot.json:
    // the events and their details; DescribeExecution: test_sfn_api.snapshot.json (SUCCEEDED:
    // inputDetails/outputDetails {included: true}, redriveCount 0, NOT_REDRIVABLE with its reason).
    const { run } = await endpoint(
      {
        StartAt: 'Double',
        States: { Double: task('double', { ResultSelector: { 'v.$': '$.Payload.v' }, End: true }) },
      },
      async (_arn, payload) => ({ v: (payload as { v: number }).v * 2 }),
    );
    // Act
    const { described, events } = await run({ v: 21 });
    // Assess
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(events.slice(1).every((e) => (e.previousEventId ?? -1) < (e.id ?? 0))).toBe(true);
    expect(events[0]?.executionStartedEventDetails).toMatchObject({
      input: '{"v":21}',
      inputDetails: { truncated: false },
    });
    expect(events[2]?.taskScheduledEventDetails).toMatchObject({
      resource: 'invoke',
      resourceType: 'lambda',
      region: 'us-east-1',
    });
    expect(JSON.parse(events[2]?.taskScheduledEventDetails?.parameters ?? '')).toEqual({
      FunctionName: `${FN}:double`,
      Payload: { v: 21 },
    });
    expect(events[3]?.taskStartedEventDetails).toEqual({ resource: 'invoke', resourceType: 'lambda' });
    expect(JSON.parse(events[4]?.taskSucceededEventDetails?.output ?? '')).toMatchObject({
      Payload: { v: 42 },
    });
    expect(described).toMatchObject({
      status: 'SUCCEEDED',
      inputDetails: { included: true },
      outputDetails: { included: true },
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
    });
    expect(described).not.toHaveProperty('error');
    expect(described).not.toHaveProperty('cause');
  });

  it('a retried failure and a Map: TaskFailed then TaskScheduled again; MapStateStarted, MapIteration*, MapStateSucceeded', async () => {
    // Source (recorded): test_base_scenarios.snapshot.json (map state): MapStateEntered, MapStateStarted
    // {length}, MapIterationStarted {index, name}, ..., MapIterationSucceeded, MapStateSucceeded,
    // MapStateExited. DescribeExecution of a FAILED one: test_base.snapshot.json (REDRIVABLE, no outputDetails).
    let failures = 1;
    const { run } = await endpoint(
      {
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemProcessor: {
              StartAt: 'Work',
              States: {
                Work: task('work', { Retry: [{ ErrorEquals: ['Flaky'], MaxAttempts: 2 }], End: true }),
              },
            },
            Next: 'Fail',
          },
          Fail: { Type: 'Fail', Error: 'Done', Cause: 'as planned' },
        },
      },
      async () => {
        if (failures-- > 0)
          throw new LambdaFunctionError(Object.assign(new Error('once'), { name: 'Flaky' }));
        return {};
      },
    );
    // Act
    const { described, events } = await run({ items: [1] });
    // Assess
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'MapStateEntered',
      'MapStateStarted',
      'MapIterationStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'MapIterationSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
    expect(events[2]?.mapStateStartedEventDetails).toEqual({ length: 1 });
    expect(events[3]?.mapIterationStartedEventDetails).toEqual({ index: 0, name: 'Each' });
    expect(events.at(-1)?.executionFailedEventDetails).toEqual({ error: 'Done', cause: 'as planned' });
    expect(described).toMatchObject({
      status: 'FAILED',
      error: 'Done',
      cause: 'as planned',
      redriveCount: 0,
      redriveStatus: 'REDRIVABLE',
    });
    expect(described).not.toHaveProperty('outputDetails');
  });
});

describe('a Parallel of two Maps', () => {
  it('ParallelStateStarted and ParallelStateSucceeded around its branches; each Map iteration chains its own events', async () => {
    // Source (recorded): test_base_scenarios.snapshot.json, test_parallel_state: ParallelStateEntered,
    // ParallelStateStarted, the branches' events, ParallelStateSucceeded, ParallelStateExited; each
    // event's previousEventId names the event before it in its own branch (test_map_state_break_condition).
    const each = (name: string, pass: string) => ({
      StartAt: name,
      States: {
        [name]: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: { StartAt: pass, States: { [pass]: task(pass.toLowerCase(), { End: true }) } },
          End: true,
        },
      },
    });
    const { run } = await endpoint(
      {
        StartAt: 'Lanes',
        States: {
          Lanes: { Type: 'Parallel', Branches: [each('EachA', 'WorkA'), each('EachB', 'WorkB')], End: true },
        },
      },
      async () => ({}),
    );
    // Act
    const { events } = await run({ items: [1, 2] });
    // Assess
    const types = events.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['ExecutionStarted', 'ParallelStateEntered', 'ParallelStateStarted']);
    expect(types.slice(-3)).toEqual(['ParallelStateSucceeded', 'ParallelStateExited', 'ExecutionSucceeded']);
    const byId = new Map(events.map((e) => [e.id, e]));
    for (const entered of events.filter((e) => e.type === 'TaskStateEntered')) {
      const iteration = byId.get(entered.previousEventId);
      const map = entered.stateEnteredEventDetails?.name === 'WorkA' ? 'EachA' : 'EachB';
      expect(iteration?.type).toBe('MapIterationStarted');
      expect(iteration?.mapIterationStartedEventDetails?.name).toBe(map);
    }
  });
});

describe('task tokens and execution names as AWS accepts them', () => {
  const askDefinition = {
    StartAt: 'Ask',
    States: {
      Ask: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: `${FN}:ask`, Payload: { 'token.$': '$$.Task.Token' } },
        End: true,
      },
    },
  };

  it('a closed task’s token is TaskTimedOut; an unknown or malformed one InvalidToken', async () => {
    // Source: SendTaskSuccess / SendTaskHeartbeat API reference, Errors: InvalidToken "The provided
    // token is not valid."; TaskTimedOut "The task token has either expired or the task associated
    // with the token has already been closed." (HTTP 400 both).
    const tokens: string[] = [];
    const { sfn, client, stateMachineArn } = await endpoint(askDefinition, async (_arn, payload) => {
      tokens.push((payload as { token: string }).token);
      return null;
    });
    const { executionArn } = await sfn.service.operations.StartExecution({ stateMachineArn, input: '{}' });
    while (tokens.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await client.send(new SendTaskSuccessCommand({ taskToken: tokens[0], output: '{}' }));
    await sfn.service.waitForExecution(executionArn);
    // Act
    const used = client.send(new SendTaskSuccessCommand({ taskToken: tokens[0], output: '{}' }));
    const usedHeartbeat = client.send(new SendTaskHeartbeatCommand({ taskToken: tokens[0] }));
    const unknown = client.send(
      new SendTaskSuccessCommand({ taskToken: 'AAAAKgAAAAIAAAAAAAAAAQ==', output: '{}' }),
    );
    // Assess
    await expect(used).rejects.toMatchObject({ name: 'TaskTimedOut', $metadata: { httpStatusCode: 400 } });
    await expect(usedHeartbeat).rejects.toMatchObject({ name: 'TaskTimedOut' });
    await expect(unknown).rejects.toMatchObject({ name: 'InvalidToken', $metadata: { httpStatusCode: 400 } });
  });

  it('names: 1 to 80 characters without the forbidden ones; dots, @ and + are allowed', async () => {
    // Source: StartExecution API reference, `name`: length 1-80 (ValidationException beyond, as AWS
    // answered in github:wolfeidau/buildkite-serverless-agent#37); must not contain white space,
    // brackets < > { } [ ], wildcards ? *, special characters " # % \ ^ | ~ ` $ & , ; : /, or control
    // characters: InvalidName "Invalid Name: '<name>'" (recorded for activities: test_sfn_api_activities.snapshot.json).
    const { client, stateMachineArn } = await endpoint(
      { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
      async () => null,
    );
    const start = (name: string) =>
      client.send(new StartExecutionCommand({ stateMachineArn, name, input: '{}' }));
    // Act / Assess
    await expect(start('hr.7+alice@example.com')).resolves.toMatchObject({
      executionArn: expect.stringContaining(':hr.7+alice@example.com'),
    });
    await expect(start('x'.repeat(80))).resolves.toBeDefined();
    for (const name of ['a b', 'a:b', 'a/b', 'a*b', 'a{b', 'a\u0007b', 'a,b']) {
      await expect(start(name), name).rejects.toMatchObject({
        name: 'InvalidName',
        message: `Invalid Name: '${name}'`,
      });
    }
    await expect(start('x'.repeat(81))).rejects.toMatchObject({
      name: 'ValidationException',
      message: `1 validation error detected: Value '${'x'.repeat(81)}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80`,
    });
  });
});

describe('the 25,000-event history limit (developer guide, "Avoid reaching the history quota")', () => {
  // Source: https://docs.aws.amazon.com/step-functions/latest/dg/bp-history-limit.html: "If the event
  // number 25,000 is ExecutionSucceeded, the execution finishes successfully. If [it] isn't
  // ExecutionSucceeded, the ExecutionFailed event is logged and the state machine execution fails".
  // Error and cause as AWS records them: an ExecutionFailed event with id 25000, error States.Runtime,
  // cause "The execution reached the maximum number of history events (25000)." (quoted from a
  // console in an AWS Guidance README; the cause also in github:aws-samples/aws-organizations-tag-inventory#16).
  // Each Map item makes 4 events; the machine makes 8 more: 8 + 4 × 6,248 = 25,000.
  const definition = {
    StartAt: 'Each',
    States: {
      Each: {
        Type: 'Map',
        ItemsPath: '$.items',
        ItemProcessor: { StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } },
        ResultPath: null,
        Next: 'After',
      },
      After: { Type: 'Pass', End: true },
    },
  };
  const items = (count: number) => ({ items: Array(count).fill(0) });

  it('an execution whose event 25,000 is ExecutionSucceeded succeeds', async () => {
    const { sfn, run } = await endpoint(definition, async () => null);
    // Act
    const { described, executionArn } = await run(items(6248));
    // Assess
    const history = sfn.service.historyOf(executionArn);
    expect(described.status).toBe('SUCCEEDED');
    expect(history).toHaveLength(25_000);
    expect(history.at(-1)?.type).toBe('ExecutionSucceeded');
  });

  it('one event more: event 25,000 is ExecutionFailed, States.Runtime, "The execution reached the maximum number of history events (25000)."', async () => {
    const { sfn, run } = await endpoint(definition, async () => null);
    // Act
    const { described, executionArn } = await run(items(6249));
    // Assess
    const cause = 'The execution reached the maximum number of history events (25000).';
    const history = sfn.service.historyOf(executionArn);
    expect(history).toHaveLength(25_000);
    expect(history.at(-1)).toMatchObject({
      id: 25_000,
      previousEventId: 24_999,
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: 'States.Runtime', cause },
    });
    expect(described).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause });
  });
});

describe('error and cause lengths (SendTaskFailure, StopExecution: error 0-256, cause 0-32768 characters)', () => {
  // Source: SendTaskFailure and StopExecution API reference, Length Constraints of `error` (256) and
  // `cause` (32768); both are sensitive (SensitiveError, SensitiveCause), so the validation message
  // names the member without its value, as for StartExecution's `input`.
  const tooLong = (member: string, max: number) =>
    `Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${max}`;
  const askDefinition = {
    StartAt: 'Ask',
    States: {
      Ask: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: `${FN}:ask`, Payload: { 'token.$': '$$.Task.Token' } },
        End: true,
      },
    },
  };

  async function waitingTask() {
    const tokens: string[] = [];
    const ask = await endpoint(askDefinition, async (_arn, payload) => {
      tokens.push((payload as { token: string }).token);
      return null;
    });
    const { executionArn } = await ask.sfn.service.operations.StartExecution({
      stateMachineArn: ask.stateMachineArn,
      input: '{}',
    });
    while (tokens.length === 0) await new Promise((resolve) => setImmediate(resolve));
    return { ...ask, executionArn, taskToken: tokens[0] ?? '' };
  }

  it('SendTaskFailure over either length is a ValidationException and the task still waits; at the limits it fails the task', async () => {
    const { sfn, client, executionArn, taskToken } = await waitingTask();
    const fail = (error: string, cause: string) =>
      client.send(new SendTaskFailureCommand({ taskToken, error, cause }));
    // Act / Assess
    await expect(fail('E', 'c'.repeat(32_769))).rejects.toMatchObject({
      name: 'ValidationException',
      message: `1 validation error detected: ${tooLong('cause', 32_768)}`,
      $metadata: { httpStatusCode: 400 },
    });
    await expect(fail('E'.repeat(257), 'c'.repeat(32_769))).rejects.toMatchObject({
      name: 'ValidationException',
      message: `2 validation errors detected: ${tooLong('error', 256)}; ${tooLong('cause', 32_768)}`,
    });
    expect(sfn.service.operations.DescribeExecution({ executionArn }).status).toBe('RUNNING');
    await fail('E'.repeat(256), 'c'.repeat(32_768));
    const described = await sfn.service.waitForExecution(executionArn);
    expect(described).toMatchObject({ status: 'FAILED', error: 'E'.repeat(256), cause: 'c'.repeat(32_768) });
  });

  it('StopExecution with a cause over 32,768 characters is a ValidationException and the execution runs on', async () => {
    const { sfn, client, executionArn } = await waitingTask();
    // Act
    const stop = client.send(new StopExecutionCommand({ executionArn, cause: 'c'.repeat(32_769) }));
    // Assess
    await expect(stop).rejects.toMatchObject({
      name: 'ValidationException',
      message: `1 validation error detected: ${tooLong('cause', 32_768)}`,
    });
    expect(sfn.service.operations.DescribeExecution({ executionArn }).status).toBe('RUNNING');
  });

  it('a function error longer than a cause holds is cut at 32,768 characters in TaskFailed and the execution (no recorded AWS answer)', async () => {
    // Source: the length constraints of TaskFailedEventDetails and ExecutionFailedEventDetails (API
    // reference). What AWS does with a longer Lambda error document is not recorded anywhere we
    // found: cutting it is this endpoint's reading (docs/embedded-default.md).
    const { run } = await endpoint(
      { StartAt: 'Work', States: { Work: task('work', { End: true }) } },
      async () => {
        throw new LambdaFunctionError(Object.assign(new Error('m'.repeat(40_000)), { name: 'Huge' }));
      },
    );
    // Act
    const { described, events } = await run({});
    // Assess
    const failed = events.find((e) => e.type === 'TaskFailed')?.taskFailedEventDetails;
    expect(failed?.error).toBe('Huge');
    expect(failed?.cause).toHaveLength(32_768);
    expect(described.cause).toHaveLength(32_768);
  });
});

describe('ARNs and ListExecutions as AWS answers them (test_sfn_api.snapshot.json)', () => {
  const pass = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };

  it('test_describe_execution_invalid_arn, test_list_execution_invalid_arn, test_get_execution_history_invalid_arn: InvalidArn "Invalid ARN prefix"', async () => {
    const { client } = await endpoint(pass, async () => null);
    const invalidArn = (value: string) => ({
      name: 'InvalidArn',
      message: `Invalid Arn: 'Invalid ARN prefix: ${value}'`,
      $metadata: { httpStatusCode: 400 },
    });
    // Act / Assess
    await expect(
      client.send(new DescribeExecutionCommand({ executionArn: 'invalid_state_machine_arn' })),
    ).rejects.toMatchObject(invalidArn('invalid_state_machine_arn'));
    await expect(
      client.send(new ListExecutionsCommand({ stateMachineArn: 'invalid_state_machine_arn' })),
    ).rejects.toMatchObject(invalidArn('invalid_state_machine_arn'));
    await expect(
      client.send(new GetExecutionHistoryCommand({ executionArn: 'invalid_state_machine_arn' })),
    ).rejects.toMatchObject(invalidArn('invalid_state_machine_arn'));
    // test_describe_execution_no_such_state_machine: a well-formed ARN of no execution
    const missing = 'arn:aws:states:us-east-1:000000000000:execution:demo:none';
    await expect(client.send(new DescribeExecutionCommand({ executionArn: missing }))).rejects.toMatchObject({
      name: 'ExecutionDoesNotExist',
      message: `Execution Does Not Exist: '${missing}'`,
    });
  });

  it('test_state_machine_status_filter: a status outside the enum is a ValidationException naming the set', async () => {
    const { client, stateMachineArn, run } = await endpoint(pass, async () => null);
    await run({});
    // Act
    const listed = await client.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: 'SUCCEEDED' }),
    );
    const running = await client.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING' }),
    );
    const lowerCase = client.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: 'succeeded' as 'SUCCEEDED' }),
    );
    // Assess: items as recorded, redriveCount 0 and no redriveStatus
    expect(listed.executions).toHaveLength(1);
    expect(listed.executions?.[0]).toMatchObject({ status: 'SUCCEEDED', redriveCount: 0 });
    expect(listed.executions?.[0]).not.toHaveProperty('redriveStatus');
    expect(running.executions).toEqual([]);
    await expect(lowerCase).rejects.toMatchObject({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value 'succeeded' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]",
    });
  });

  it('test_list_executions_pagination: 13 executions in pages of 10 and 3, newest first; maxResults 0 is 100; the bounds refused', async () => {
    const { client, stateMachineArn, run } = await endpoint(pass, async () => null);
    for (let i = 0; i < 13; i++) {
      vi.useFakeTimers({ toFake: ['Date'], now: Date.UTC(2026, 0, 1, 0, 0, i) });
      await run({}, `page-${String(i).padStart(2, '0')}`);
    }
    vi.useRealTimers();
    const list = (extra: object) => client.send(new ListExecutionsCommand({ stateMachineArn, ...extra }));
    // Act
    const first = await list({ maxResults: 10 });
    const second = await list({ maxResults: 3, nextToken: first.nextToken });
    const all = await list({ maxResults: 0 });
    // Assess
    expect(first.executions?.map((e) => e.name)).toEqual(
      Array.from({ length: 10 }, (_, i) => `page-${String(12 - i).padStart(2, '0')}`),
    );
    expect(first.nextToken).toBeDefined();
    expect(second.executions?.map((e) => e.name)).toEqual(['page-02', 'page-01', 'page-00']);
    expect(second.nextToken).toBeUndefined();
    expect(all.executions).toHaveLength(13);
    expect(all.nextToken).toBeUndefined();
    await expect(list({ maxResults: 1001 })).rejects.toMatchObject({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
    });
    const long = 'x'.repeat(3097);
    const tooLong = {
      name: 'ValidationException',
      message: `1 validation error detected: Value '${long}' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 3096`,
    };
    await expect(list({ nextToken: long })).rejects.toMatchObject(tooLong);
    // GetExecutionHistory has the same bounds (API reference: maxResults 0-1000, nextToken 1-3096).
    const executionArn = first.executions?.[0]?.executionArn;
    await expect(
      client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1001 })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("Value '1001' at 'maxResults'"),
    });
    await expect(
      client.send(new GetExecutionHistoryCommand({ executionArn, nextToken: long })),
    ).rejects.toMatchObject(tooLong);
  });

  it('test_invalid_start_execution_input: any JSON value starts; empty input and text that is no JSON are InvalidExecutionInput', async () => {
    const { client, stateMachineArn } = await endpoint(pass, async () => null);
    const start = (input: string) => client.send(new StartExecutionCommand({ stateMachineArn, input }));
    // Act / Assess
    for (const input of ['2', '"some text"', 'null'])
      await expect(start(input), input).resolves.toBeDefined();
    await expect(start('')).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
      message: "Invalid State Machine Execution Input: 'Invalid execution input.'",
      $metadata: { httpStatusCode: 400 },
    });
    // AWS quotes its parser's reason here (naming a token of the input); this endpoint quotes none.
    await expect(start("{'not': 'json'")).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
      message: "Invalid State Machine Execution Input: 'not JSON'",
    });
  });
});
