import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  paginateGetExecutionHistory,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaFunctionError } from '#local/lambda-runtime.ts';
import { startLocalStepFunctions } from '#local/step-functions.ts';

const FN = 'arn:aws:lambda:us-east-1:000000000000:function';
const definition = {
  StartAt: 'Double',
  States: {
    Double: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: `${FN}:double`, 'Payload.$': '$' },
      ResultSelector: { 'value.$': '$.Payload.value' },
      Retry: [{ ErrorEquals: ['RetryableError'], IntervalSeconds: 30, MaxAttempts: 2 }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }],
      Next: 'AskOperator',
    },
    AskOperator: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: `${FN}:notify`,
        Payload: { 'token.$': '$$.Task.Token', 'value.$': '$.value' },
      },
      HeartbeatSeconds: 3600,
      Retry: [{ ErrorEquals: ['Lambda.ServiceException'], IntervalSeconds: 1, MaxAttempts: 1 }],
      Next: 'Pause',
    },
    Pause: { Type: 'Wait', Seconds: 3600, End: true },
    Failed: { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' },
  },
};

const tokens: string[] = [];
let failuresLeft = 0;
let notifyFailuresLeft = 0;
let sfn: Awaited<ReturnType<typeof startLocalStepFunctions>>;
let client: SFNClient;
const machineArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:demo';

async function invoke(functionArn: string, payload: unknown): Promise<unknown> {
  const input = payload as { value: number; token?: string };
  if (functionArn.endsWith(':notify')) {
    tokens.push(input.token ?? '');
    if (notifyFailuresLeft > 0) {
      notifyFailuresLeft -= 1;
      throw Object.assign(new Error('died after notifying'), { name: 'Lambda.ServiceException' });
    }
    return null;
  }
  if (failuresLeft > 0) {
    failuresLeft -= 1;
    throw Object.assign(new Error('try again'), { name: 'RetryableError' });
  }
  if (input.value < 0) {
    throw new LambdaFunctionError(Object.assign(new Error('negative input'), { name: 'FatalError' }));
  }
  return { value: input.value * 2 };
}

async function nextToken(count: number): Promise<string> {
  while (tokens.length < count) await new Promise((resolve) => setImmediate(resolve));
  return tokens[count - 1] ?? '';
}

async function start(name: string, input: unknown) {
  const out = await client.send(
    new StartExecutionCommand({ stateMachineArn: machineArn, name, input: JSON.stringify(input) }),
  );
  return out.executionArn ?? '';
}

describe('local Step Functions endpoint', () => {
  beforeAll(async () => {
    sfn = await startLocalStepFunctions({
      machines: [{ name: 'demo', definition }],
      invoke,
      waitOverrideMs: 0,
      retryOverrideMs: 0,
    });
    client = new SFNClient({
      endpoint: sfn.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  afterAll(async () => {
    client?.destroy();
    await sfn?.close();
  });

  it('runs Task, callback and Wait states; SendTaskSuccess resumes the execution', async () => {
    // Prepare
    failuresLeft = 1;
    const arn = await start('ok-1', { value: 21 });
    const token = await nextToken(1);
    // Act
    await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await client.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ done: true }) }),
    );
    await sfn.service.waitForExecution(arn);
    // Assess
    const described = await client.send(new DescribeExecutionCommand({ executionArn: arn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '')).toEqual({ done: true });
    const history = await client.send(new GetExecutionHistoryCommand({ executionArn: arn }));
    const types = history.events?.map((e) => e.type);
    expect(types?.[0]).toBe('ExecutionStarted');
    expect(types).toContain('TaskFailed');
    expect(types).toContain('WaitStateEntered');
    expect(types?.at(-1)).toBe('ExecutionSucceeded');
    await expect(
      client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it('SendTaskFailure fails the callback task with the given error', async () => {
    // Prepare
    const arn = await start('refused-1', { value: 1 });
    const token = await nextToken(2);
    // Act
    await client.send(
      new SendTaskFailureCommand({ taskToken: token, error: 'OperatorRefused', cause: 'no' }),
    );
    const described = await sfn.service.waitForExecution(arn);
    // Assess
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('OperatorRefused');
  });

  it('a callback Lambda that fails after sending its token fails that try and closes its token', async () => {
    // Prepare
    notifyFailuresLeft = 1;
    const arn = await start('notify-died-1', { value: 2 });
    const closedToken = await nextToken(3);
    const retriedToken = await nextToken(4);
    // Act
    const lateAnswer = client
      .send(new SendTaskSuccessCommand({ taskToken: closedToken, output: '{}' }))
      .catch((error: unknown) => error);
    await client.send(new SendTaskSuccessCommand({ taskToken: retriedToken, output: '{"retried":true}' }));
    const described = await sfn.service.waitForExecution(arn);
    // Assess
    expect(await lateAnswer).toMatchObject({ name: 'TaskTimedOut' });
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '')).toEqual({ retried: true });
  });

  it('a thrown error keeps its name for Catch and carries Lambda’s JSON cause', async () => {
    // Act
    const arn = await start('negative-1', { value: -1 });
    const described = await sfn.service.waitForExecution(arn);
    // Assess
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('FatalError');
    // The Node.js runtime's error document, stack lines included (lambda/latest/dg/nodejs-exceptions.html).
    const cause = JSON.parse(described.cause ?? '') as { trace: string[] };
    expect(cause).toMatchObject({ errorType: 'FatalError', errorMessage: 'negative input' });
    expect(cause.trace[0]).toBe('FatalError: negative input');
    expect(cause.trace.length).toBeGreaterThan(1);
  });

  it('pages the history as AWS does: maxResults per page, a nextToken while more remain, either order', async () => {
    // Prepare
    const executionArn = await start('paged-1', { value: -2 });
    await sfn.service.waitForExecution(executionArn);
    const whole = (await client.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [];
    const paged = async (reverseOrder: boolean) => {
      const pages = [];
      for await (const page of paginateGetExecutionHistory(
        { client, pageSize: 2 },
        { executionArn, reverseOrder },
      ))
        pages.push(page.events ?? []);
      return pages;
    };
    // Act
    const forward = await paged(false);
    const backward = await paged(true);
    const badToken = client.send(new GetExecutionHistoryCommand({ executionArn, nextToken: 'nope' }));
    // Assess
    expect(whole.length).toBeGreaterThan(4);
    expect(whole.map((e) => e.id)).toEqual(whole.map((_, i) => i + 1));
    expect(forward.every((p) => p.length <= 2)).toBe(true);
    expect(forward.length).toBe(Math.ceil(whole.length / 2));
    expect(forward.flat()).toEqual(whole);
    expect(backward.flat()).toEqual([...whole].reverse());
    await expect(badToken).rejects.toMatchObject({ name: 'InvalidToken' });
  });

  it('a name is used once: same name and input while running is idempotent, otherwise refused', async () => {
    // Prepare
    const arn = await start('dup-1', { value: 2 });
    // Act
    const again = await start('dup-1', { value: 2 });
    const other = client.send(
      new StartExecutionCommand({
        stateMachineArn: machineArn,
        name: 'dup-1',
        input: JSON.stringify({ value: 3 }),
      }),
    );
    // Assess
    expect(again).toBe(arn);
    await expect(other).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await client.send(new StopExecutionCommand({ executionArn: arn, error: 'Test', cause: 'done' }));
    const stopped = await sfn.service.waitForExecution(arn);
    expect(stopped.status).toBe('ABORTED');
    const list = await client.send(
      new ListExecutionsCommand({ stateMachineArn: machineArn, statusFilter: 'ABORTED' }),
    );
    expect(list.executions?.map((e) => e.name)).toContain('dup-1');
  });

  it('refuses bad names, bad input and unknown machines with AWS error names', async () => {
    // Act / Assess
    await expect(start('bad name!', {})).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(
      client.send(new StartExecutionCommand({ stateMachineArn: machineArn, name: 'x', input: '{not json' })),
    ).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(
      client.send(new StartExecutionCommand({ stateMachineArn: `${machineArn}-nope`, input: '{}' })),
    ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(
      client.send(new DescribeExecutionCommand({ executionArn: `${machineArn}:nope` })),
    ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });
});

describe('local Step Functions endpoint, stopped', () => {
  it('stopping while a callback Lambda still runs aborts the execution and leaves no rejection unobserved', async () => {
    // Prepare: the callback task's Lambda is still running when everything is stopped.
    let release: () => void = () => {};
    let notified: () => void = () => {};
    const notifying = new Promise<void>((resolve) => {
      notified = resolve;
    });
    const stopped = await startLocalStepFunctions({
      machines: [{ name: 'demo', definition }],
      invoke: async (functionArn) => {
        if (!functionArn.endsWith(':notify')) return { value: 2 };
        notified();
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return null;
      },
      waitOverrideMs: 0,
      retryOverrideMs: 0,
    });
    try {
      const { executionArn } = await stopped.service.operations.StartExecution({
        stateMachineArn: machineArn,
        name: 'stopped-1',
        input: '{"value":1}',
      });
      await notifying;
      // Act
      const stopping = stopped.service.stopAll();
      // The Lambda returns a turn later, after Node has looked for unobserved rejections.
      await new Promise((resolve) => setImmediate(resolve));
      release();
      await stopping;
      // Assess
      expect((await stopped.service.waitForExecution(executionArn)).status).toBe('ABORTED');
    } finally {
      await stopped.close();
    }
  });
});
