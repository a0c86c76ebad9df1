/**
 * A loopback Step Functions endpoint for the real `@aws-sdk/client-sfn`. Executions run the
 * state machine definitions synthesized from the CDK app on `aws-local-stepfunctions`; every
 * `lambda:invoke` Task calls the real handler module through `invoke` and gets Lambda's
 * response envelope back, so ResultSelector / ResultPath / Retry / Catch behave as in AWS.
 */
import './polyfills.ts';
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import {
  type AwsJsonCall,
  AwsServiceError,
  type RunningServer,
  startAwsJsonServer,
} from './aws-json-server.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './endpoints.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type StatesDefinition = ConstructorParameters<typeof StateMachine>[0];
type StateDefinition = StatesDefinition['States'][string];
type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** Calls a handler module: resolves with its result, rejects with an error whose `name` is its error type. */
/** Invokes a function as the state machine's role (`stateMachineArn` says which machine asks). */
type LambdaInvoker = (functionArn: string, payload: unknown, stateMachineArn: string) => Promise<unknown>;

interface LocalStateMachine {
  readonly name: string;
  readonly definition: object;
}

export interface LocalStepFunctionsOptions {
  readonly machines: readonly LocalStateMachine[];
  readonly invoke: LambdaInvoker;
  readonly region?: string;
  readonly accountId?: string;
  /** Milliseconds every Wait state waits instead of its own duration (tests and the demo). */
  readonly waitOverrideMs?: number;
  /** Milliseconds between retries instead of the definition's backoff (tests and the demo). */
  readonly retryOverrideMs?: number;
  /**
   * Milliseconds a callback task waits for its token instead of its TimeoutSeconds, counted from the
   * moment its Lambda returned (tests of expired operator tasks).
   */
  readonly callbackTimeoutOverrideMs?: number;
}

export interface HistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: number;
  readonly type: string;
  readonly [details: string]: unknown;
}

type Status = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: number;
  status: Status;
  stopRequested?: boolean;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  readonly history: HistoryEvent[];
  abort(): void;
  readonly finished: Promise<void>;
}

interface PendingTask {
  readonly executionArn: string;
  settled: boolean;
  resolve(output: unknown): void;
  reject(error: Error): void;
  heartbeat(): void;
  /** Drops the task when its execution ends another way (stopped, timed out). */
  cancel(): void;
}

interface MachineRecord {
  readonly arn: string;
  readonly name: string;
  readonly definition: StatesDefinition;
  readonly machine: StateMachine;
  readonly createdAt: number;
  readonly taskStates: ReadonlyMap<string, StateDefinition>;
}

const NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

function statesOf(definition: { States: Record<string, StateDefinition> }): [string, StateDefinition][] {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const nested: { States: Record<string, StateDefinition> }[] = [];
    if (state.Type === 'Map') {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor) nested.push(processor);
    }
    if (state.Type === 'Parallel') nested.push(...state.Branches);
    return [[name, state] as [string, StateDefinition], ...nested.flatMap(statesOf)];
  });
}

function errorOf(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** Step Functions history event type names are prefixed with the state's type. */
function historyOf(event: EventLog): { type: string; details: Record<string, unknown> } | undefined {
  switch (event.type) {
    case 'ExecutionStarted':
      return {
        type: 'ExecutionStarted',
        details: { executionStartedEventDetails: { input: JSON.stringify(event.input) } },
      };
    case 'ExecutionSucceeded':
      return {
        type: 'ExecutionSucceeded',
        details: { executionSucceededEventDetails: { output: JSON.stringify(event.output) } },
      };
    case 'ExecutionFailed':
      return {
        type: 'ExecutionFailed',
        details: { executionFailedEventDetails: { error: event.Error, cause: String(event.Cause ?? '') } },
      };
    case 'ExecutionAborted':
      return { type: 'ExecutionAborted', details: { executionAbortedEventDetails: {} } };
    case 'ExecutionTimeout':
      return { type: 'ExecutionTimedOut', details: { executionTimedOutEventDetails: {} } };
    case 'StateEntered':
      return {
        type: `${event.state.type}StateEntered`,
        details: {
          stateEnteredEventDetails: { name: event.state.name, input: JSON.stringify(event.state.input) },
        },
      };
    case 'StateExited':
      return {
        type: `${event.state.type}StateExited`,
        details: {
          stateExitedEventDetails: { name: event.state.name, output: JSON.stringify(event.state.output) },
        },
      };
    case 'StateFailed':
      return {
        type: event.state.type === 'Task' ? 'TaskFailed' : `${event.state.type}StateFailed`,
        details: { taskFailedEventDetails: { error: event.Error, cause: String(event.Cause ?? '') } },
      };
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
      return {
        type: event.type,
        details: { mapIterationEventDetails: { name: event.parentState.name, index: event.index } },
      };
    default:
      return undefined;
  }
}

const historyToken = (id: number) => Buffer.from(`history:${id}`).toString('base64url');

function historyTokenId(token: unknown): number {
  const match =
    typeof token === 'string' ? /^history:(\d+)$/.exec(Buffer.from(token, 'base64url').toString()) : null;
  if (!match) throw new AwsServiceError('InvalidToken', 'Invalid Token');
  return Number(match[1]);
}

export class LocalStepFunctions {
  /** See LocalStepFunctionsOptions; settable so one test can let a task expire. */
  callbackTimeoutOverrideMs: number | undefined;
  /** See LocalStepFunctionsOptions; settable, for executions started afterwards. */
  retryOverrideMs: number | undefined;
  readonly region: string;
  readonly accountId: string;
  private readonly machines = new Map<string, MachineRecord>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly tasks = new Map<string, PendingTask>();

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.region = options.region ?? LOCAL_REGION;
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
    this.callbackTimeoutOverrideMs = options.callbackTimeoutOverrideMs;
    this.retryOverrideMs = options.retryOverrideMs;
    for (const { name, definition } of options.machines) {
      const arn = `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${name}`;
      const states = definition as StatesDefinition;
      const taskStates = new Map(statesOf(states).filter(([, state]) => state.Type === 'Task'));
      this.machines.set(arn, {
        arn,
        name,
        definition: states,
        machine: new StateMachine(states, { validationOptions: { checkArn: false } }),
        createdAt: Date.now(),
        taskStates,
      });
    }
  }

  /** The API, one method per Step Functions action (AWS JSON field names in and out). */
  readonly operations = {
    ListStateMachines: () => ({
      stateMachines: [...this.machines.values()].map((m) => ({
        stateMachineArn: m.arn,
        name: m.name,
        type: 'STANDARD',
        creationDate: m.createdAt / 1000,
      })),
    }),
    DescribeStateMachine: (input: { stateMachineArn?: unknown }) => {
      const m = this.machine(input.stateMachineArn);
      return {
        stateMachineArn: m.arn,
        name: m.name,
        status: 'ACTIVE',
        type: 'STANDARD',
        definition: JSON.stringify(m.definition),
        roleArn: `arn:aws:iam::${this.accountId}:role/local`,
        creationDate: m.createdAt / 1000,
      };
    },
    StartExecution: (input: { stateMachineArn?: unknown; name?: unknown; input?: unknown }) =>
      this.startExecution(input),
    DescribeExecution: (input: { executionArn?: unknown }) =>
      this.describe(this.execution(input.executionArn)),
    ListExecutions: (input: { stateMachineArn?: unknown; statusFilter?: unknown }) => {
      const m = this.machine(input.stateMachineArn);
      const executions = [...this.executions.values()]
        .filter(
          (e) => e.stateMachineArn === m.arn && (!input.statusFilter || e.status === input.statusFilter),
        )
        .sort((a, b) => b.startDate - a.startDate)
        .map((e) => this.summary(e));
      return { executions };
    },
    GetExecutionHistory: (input: {
      executionArn?: unknown;
      reverseOrder?: unknown;
      maxResults?: unknown;
      nextToken?: unknown;
    }) => {
      const history = this.execution(input.executionArn).history;
      const reverse = input.reverseOrder === true;
      // As in AWS: 100 events a page unless asked (at most 1,000), a nextToken while more remain.
      const pageSize =
        typeof input.maxResults === 'number' && input.maxResults > 0 ? Math.min(input.maxResults, 1000) : 100;
      const ordered = reverse ? [...history].reverse() : history;
      // The token names the last event returned, so a page continues after it while the history grows.
      const after = input.nextToken === undefined ? undefined : historyTokenId(input.nextToken);
      const from =
        after === undefined ? 0 : ordered.findIndex((e) => (reverse ? e.id < after : e.id > after));
      const page = from < 0 ? [] : ordered.slice(from, from + pageSize);
      const last = page.at(-1);
      return {
        events: page.map((e) => ({ ...e, timestamp: e.timestamp / 1000 })),
        ...(last && from + pageSize < ordered.length ? { nextToken: historyToken(last.id) } : {}),
      };
    },
    StopExecution: (input: { executionArn?: unknown; error?: unknown; cause?: unknown }) => {
      const execution = this.execution(input.executionArn);
      if (execution.status === 'RUNNING') {
        execution.error = typeof input.error === 'string' ? input.error : undefined;
        execution.cause = typeof input.cause === 'string' ? input.cause : undefined;
        execution.stopRequested = true;
        execution.abort();
      }
      return { stopDate: Date.now() / 1000 };
    },
    SendTaskSuccess: (input: { taskToken?: unknown; output?: unknown }) => {
      const task = this.task(input.taskToken);
      let output: unknown;
      try {
        output = JSON.parse(String(input.output));
      } catch {
        throw new AwsServiceError('InvalidOutput', 'output is not JSON');
      }
      task.resolve(output);
      return {};
    },
    SendTaskFailure: (input: { taskToken?: unknown; error?: unknown; cause?: unknown }) => {
      const task = this.task(input.taskToken);
      const error = new Error(typeof input.cause === 'string' ? input.cause : '');
      error.name = typeof input.error === 'string' && input.error ? input.error : 'States.TaskFailed';
      task.reject(error);
      return {};
    },
    SendTaskHeartbeat: (input: { taskToken?: unknown }) => {
      this.task(input.taskToken).heartbeat();
      return {};
    },
  };

  /** Resolves when the execution has ended (tests and the demo; not an AWS action). */
  async waitForExecution(executionArn: string): Promise<ReturnType<LocalStepFunctions['describe']>> {
    const execution = this.execution(executionArn);
    await execution.finished;
    return this.describe(execution);
  }

  /** Stops every running execution and fails its waiting tasks, so no timer outlives the endpoint. */
  async stopAll(): Promise<void> {
    const running = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
    for (const execution of running) {
      execution.stopRequested = true;
      execution.abort();
    }
    for (const task of this.tasks.values()) {
      const stopped = new Error('the execution was stopped');
      stopped.name = 'States.Runtime';
      task.reject(stopped);
    }
    await Promise.all(running.map((e) => e.finished));
  }

  /** One execution's history (the benchmark counts its state transitions). */
  historyOf(executionArn: string): readonly HistoryEvent[] {
    return this.execution(executionArn).history;
  }

  /** Every execution's history (for leak scans). */
  allHistories(): HistoryEvent[][] {
    return [...this.executions.values()].map((e) => e.history);
  }

  private machine(arn: unknown): MachineRecord {
    if (typeof arn !== 'string') throw new AwsServiceError('InvalidArn', 'stateMachineArn is required');
    const machine = this.machines.get(arn);
    if (!machine)
      throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private execution(arn: unknown): ExecutionRecord {
    if (typeof arn !== 'string') throw new AwsServiceError('InvalidArn', 'executionArn is required');
    const execution = this.executions.get(arn);
    if (!execution) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  private task(token: unknown): PendingTask {
    const task = typeof token === 'string' ? this.tasks.get(token) : undefined;
    if (!task || task.settled) throw new AwsServiceError('TaskDoesNotExist', 'Task Does Not Exist');
    return task;
  }

  /** ListExecutions' item: what DescribeExecution says without data. */
  private summary(e: ExecutionRecord) {
    return {
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: e.startDate / 1000,
      stopDate: e.stopDate === undefined ? undefined : e.stopDate / 1000,
    };
  }

  private describe(e: ExecutionRecord) {
    return {
      ...this.summary(e),
      input: e.input,
      output: e.output,
      error: e.error,
      cause: e.cause,
    };
  }

  private startExecution(input: { stateMachineArn?: unknown; name?: unknown; input?: unknown }) {
    const machine = this.machine(input.stateMachineArn);
    const name = input.name === undefined ? randomUUID() : input.name;
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      throw new AwsServiceError(
        'InvalidName',
        'Invalid Name: execution names are 1-80 characters of A-Z a-z 0-9 _ -',
      );
    }
    const text = input.input === undefined ? '{}' : input.input;
    if (typeof text !== 'string' || Buffer.byteLength(text) > 256 * 1024) {
      throw new AwsServiceError('InvalidExecutionInput', 'input must be a JSON string of at most 256 KiB');
    }
    let parsed: Json;
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      throw new AwsServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const executionArn = `arn:aws:states:${this.region}:${this.accountId}:execution:${machine.name}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // Standard workflows: the same name and input while running is idempotent; anything else is refused.
      if (existing.status === 'RUNNING' && existing.input === text) {
        return { executionArn, startDate: existing.startDate / 1000 };
      }
      throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const startDate = Date.now();
    const run = machine.machine.run(parsed, {
      overrides: this.overridesFor(machine, executionArn),
      noThrowOnAbort: true,
      context: this.contextFor(machine, executionArn, name, parsed, startDate),
    });
    const history: HistoryEvent[] = [];
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.arn,
      name,
      input: text,
      startDate,
      status: 'RUNNING',
      history,
      abort: run.abort,
      finished: Promise.all([
        this.collectHistory(run.eventLogs, history),
        this.settle(run.result, () => record),
      ]).then(() => undefined),
    };
    this.executions.set(executionArn, record);
    return { executionArn, startDate: startDate / 1000 };
  }

  private async collectHistory(logs: AsyncGenerator<EventLog>, history: HistoryEvent[]): Promise<void> {
    for await (const event of logs) {
      const mapped = historyOf(event);
      if (!mapped) continue;
      history.push({
        id: history.length + 1,
        previousEventId: history.length,
        timestamp: event.timestamp,
        type: mapped.type,
        ...mapped.details,
      });
    }
  }

  private async settle(result: Promise<unknown>, record: () => ExecutionRecord): Promise<void> {
    try {
      const output = await result;
      const execution = record();
      if (execution.stopRequested) {
        execution.status = 'ABORTED';
      } else {
        execution.status = 'SUCCEEDED';
        execution.output = JSON.stringify(output);
      }
    } catch (error) {
      const execution = record();
      // The runner wraps the state's error in ExecutionError; its cause carries the Step Functions error.
      const inner = error instanceof Error && error.name === 'ExecutionError' ? error.cause : error;
      const { name, message } = errorOf(inner);
      const timedOut = name === 'ExecutionTimeoutError';
      execution.status = timedOut ? 'TIMED_OUT' : 'FAILED';
      execution.error = timedOut ? 'States.Timeout' : name;
      execution.cause = timedOut ? 'execution timed out' : message;
    } finally {
      const execution = record();
      execution.stopDate = Date.now();
      for (const [token, task] of this.tasks) {
        if (task.executionArn !== execution.executionArn) continue;
        task.cancel();
        this.tasks.delete(token);
      }
    }
  }

  private contextFor(
    machine: MachineRecord,
    executionArn: string,
    name: string,
    input: Json,
    startDate: number,
  ) {
    const tasks = this.tasks;
    return {
      Execution: {
        Id: executionArn,
        Name: name,
        Input: input,
        StartTime: new Date(startDate).toISOString(),
        RoleArn: `arn:aws:iam::${this.accountId}:role/local`,
      },
      StateMachine: { Id: machine.arn, Name: machine.name },
      Task: {
        // A fresh token each time a callback task reads it; the Task's override waits for it.
        get Token() {
          const token = randomUUID();
          const unclaimed = () => {};
          tasks.set(token, {
            executionArn,
            settled: false,
            resolve: unclaimed,
            reject: unclaimed,
            heartbeat: unclaimed,
            cancel: unclaimed,
          });
          return token;
        },
      },
    };
  }

  private overridesFor(machine: MachineRecord, executionArn: string) {
    const taskResourceLocalHandlers: Record<string, (input: Json) => Promise<Json>> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    const waitTimeOverrides: Record<string, number> = {};
    for (const [name, state] of statesOf(machine.definition)) {
      if (this.retryOverrideMs !== undefined && 'Retry' in state && state.Retry) {
        retryIntervalOverrides[name] = this.retryOverrideMs;
      }
      if (this.options.waitOverrideMs !== undefined && state.Type === 'Wait') {
        waitTimeOverrides[name] = this.options.waitOverrideMs;
      }
    }
    for (const [name, state] of machine.taskStates) {
      if (state.Type !== 'Task') continue;
      const resource = state.Resource;
      if (!resource.startsWith('arn:aws:states:::lambda:invoke')) {
        throw new Error(`local Step Functions runs lambda:invoke tasks only; ${name} uses ${resource}`);
      }
      const waitsForToken = resource.endsWith('.waitForTaskToken');
      const heartbeatSeconds = 'HeartbeatSeconds' in state ? Number(state.HeartbeatSeconds) : undefined;
      taskResourceLocalHandlers[name] = async (parameters) =>
        waitsForToken
          ? this.invokeAndWaitForToken(machine.arn, executionArn, parameters, heartbeatSeconds)
          : this.invokeLambda(machine.arn, parameters);
    }
    return { taskResourceLocalHandlers, retryIntervalOverrides, waitTimeOverrides };
  }

  private async invokeLambda(stateMachineArn: string, parameters: Json): Promise<Json> {
    const { FunctionName, Payload } = (parameters ?? {}) as { FunctionName?: unknown; Payload?: unknown };
    if (typeof FunctionName !== 'string') throw new Error('lambda:invoke task without a FunctionName');
    try {
      const result = await this.options.invoke(FunctionName, Payload, stateMachineArn);
      return { Payload: (result ?? null) as Json, StatusCode: 200, ExecutedVersion: '$LATEST' };
    } catch (error) {
      // As in AWS: the error name is the Lambda errorType, the cause is Lambda's JSON error document.
      const { name, message } = errorOf(error);
      const failure = new Error(JSON.stringify({ errorType: name, errorMessage: message }));
      failure.name = name;
      throw failure;
    }
  }

  private async invokeAndWaitForToken(
    stateMachineArn: string,
    executionArn: string,
    parameters: Json,
    heartbeatSeconds: number | undefined,
  ): Promise<Json> {
    const text = JSON.stringify(parameters);
    const token = [...this.tasks.entries()].find(([t, task]) => !task.settled && text.includes(t))?.[0];
    if (!token) throw new Error('a .waitForTaskToken task must pass $$.Task.Token in its Payload');
    let expire: () => void = () => {};
    const settled = new Promise<Json>((resolve, reject) => {
      let heartbeatTimer: NodeJS.Timeout | undefined;
      let deadlineTimer: NodeJS.Timeout | undefined;
      const timeout = (name: string, message: string) => () => {
        const error = new Error(message);
        error.name = name;
        finish(() => reject(error));
      };
      const arm = () => {
        clearTimeout(heartbeatTimer);
        if (heartbeatSeconds) {
          heartbeatTimer = setTimeout(
            timeout('States.HeartbeatTimeout', 'no heartbeat within HeartbeatSeconds'),
            heartbeatSeconds * 1000,
          ).unref();
        }
      };
      const finish = (done: () => void) => {
        const task = this.tasks.get(token);
        if (!task || task.settled) return;
        task.settled = true;
        clearTimeout(heartbeatTimer);
        clearTimeout(deadlineTimer);
        done();
      };
      expire = () => {
        if (this.callbackTimeoutOverrideMs === undefined) return;
        deadlineTimer = setTimeout(
          timeout('States.Timeout', 'the task was not answered within TimeoutSeconds'),
          this.callbackTimeoutOverrideMs,
        );
      };
      this.tasks.set(token, {
        executionArn,
        settled: false,
        resolve: (output) => finish(() => resolve(output as Json)),
        reject: (error) => finish(() => reject(error)),
        heartbeat: arm,
        cancel: () => finish(() => {}),
      });
      arm();
    });
    // Answered, failed or stopped while the Lambda still runs: the outcome is read once it returns.
    settled.catch(() => {});
    try {
      await this.invokeLambda(stateMachineArn, parameters);
    } catch (error) {
      // As in AWS: a failed invocation fails the task and closes its token, unless it was answered first.
      this.tasks.get(token)?.reject(error as Error);
    }
    if (!this.tasks.get(token)?.settled) expire();
    return settled;
  }
}

export async function startLocalStepFunctions(
  options: LocalStepFunctionsOptions & { port?: number; authorize?: (call: AwsJsonCall) => void },
): Promise<RunningServer & { service: LocalStepFunctions }> {
  const service = new LocalStepFunctions(options);
  const server = await startAwsJsonServer({
    targetPrefix: 'AWSStepFunctions',
    jsonVersion: '1.0',
    operations: service.operations,
    port: options.port,
    authorize: options.authorize,
  });
  return { ...server, service };
}
