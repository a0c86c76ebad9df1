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
import { LambdaFunctionError } from './lambda-runtime.ts';
import { requireExecutionName } from './step-functions/execution-names.ts';
import { requireFailureWithinLimits, withinFailureLimits } from './step-functions/failure-limits.ts';
import {
  ExecutionHistory,
  type HistoryEvent,
  type TaskEvents,
  type TaskResource,
  taskResourceOf,
} from './step-functions/history.ts';
import {
  executionsPage,
  type ListExecutionsParameters,
  requirePagingWithinLimits,
} from './step-functions/list-executions.ts';
import {
  overPayloadLimit,
  requireExecutionInputWithinLimit,
  taskResultTooLarge,
} from './step-functions/payload-limit.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type StatesDefinition = ConstructorParameters<typeof StateMachine>[0];
type StateDefinition = StatesDefinition['States'][string];

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

export type { HistoryEvent } from './step-functions/history.ts';

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
  error?: string | undefined;
  cause?: string | undefined;
  readonly history: ExecutionHistory;
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
  /** Every state by name, Map bodies included (names are unique across a definition). */
  readonly states: ReadonlyMap<string, StateDefinition>;
  /** The outermost Map of each state within one, for its history events' branch. */
  readonly outermostMaps: ReadonlyMap<string, string>;
}

/** What a Task override needs of its state's definition. */
interface TaskDefinition {
  readonly name: string;
  readonly resource: TaskResource;
  readonly waitsForToken: boolean;
  readonly timeoutSeconds: number | undefined;
  readonly heartbeatSeconds: number | undefined;
}

/**
 * The longest timer Node arms (2^31-1 ms): the runner's deadline for every Task, since it would
 * otherwise end any Task after 60 s (aws-local-stepfunctions' default); AWS sets none
 * (states-language.net: TimeoutSeconds defaults to 99999999), and TimeoutSeconds is kept here.
 */
const NO_DEADLINE_SECONDS = Math.floor(0x7fffffff / 1000);

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

/** The outermost Map each state of a definition is in (those outside any Map are left out). */
function outermostMaps(definition: { States: Record<string, StateDefinition> }): Map<string, string> {
  const maps = new Map<string, string>();
  for (const [name, state] of statesOf(definition)) {
    if (state.Type !== 'Map' || maps.has(name)) continue;
    const processor = state.ItemProcessor ?? state.Iterator;
    if (!processor) continue;
    for (const [inner] of statesOf(processor)) if (!maps.has(inner)) maps.set(inner, name);
  }
  return maps;
}

function errorOf(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** The runner's copy of a definition: every Task without the runner's hidden 60 s deadline. */
function withoutRunnerDeadlines<T>(definition: T): T {
  return JSON.parse(JSON.stringify(definition), (_key, value: unknown) =>
    value && typeof value === 'object' && (value as { Type?: unknown }).Type === 'Task'
      ? { ...value, TimeoutSeconds: NO_DEADLINE_SECONDS }
      : value,
  ) as T;
}

/** The value at a simple JSONPath (`$`, `$.a.b`), or undefined. */
function valueAt(path: string, input: unknown): unknown {
  if (!/^\$(\.[A-Za-z0-9_]+)*$/.test(path)) return undefined;
  return path
    .split('.')
    .slice(1)
    .reduce<unknown>(
      (value, key) =>
        value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
      input,
    );
}

/** A task that ran out of time (TimeoutSeconds or HeartbeatSeconds): States.Timeout, no cause. */
function taskTimedOut(): Error {
  const error = new Error('');
  error.name = 'States.Timeout';
  return error;
}

/** Arms a timer unless the delay is beyond what Node can arm (then it never fires in this process). */
function timer(ms: number, fire: () => void): NodeJS.Timeout | undefined {
  return ms <= 0x7fffffff ? setTimeout(fire, ms) : undefined;
}

const historyToken = (id: number) => Buffer.from(`history:${id}`).toString('base64url');

/**
 * StartExecution's input: any JSON value (a number, a string, null too); an empty one and text that
 * is no JSON are InvalidExecutionInput with a quoted reason (recorded: test_invalid_start_execution_input).
 * AWS quotes its Java parser, which names the offending token; this endpoint says only "not JSON",
 * since V8's message would quote the input, which is sensitive data.
 */
function parseExecutionInput(text: string): Json {
  const invalidInput = (reason: string) =>
    new AwsServiceError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${reason}'`);
  if (text === '') throw invalidInput('Invalid execution input.');
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw invalidInput('not JSON');
  }
}

/**
 * An ARN that is none (recorded: test_describe_execution_invalid_arn, test_list_execution_invalid_arn,
 * test_get_execution_history_invalid_arn, test_describe_invalid_arn_sm in test_sfn_api.snapshot.json).
 */
function requireArnPrefix(arn: string): void {
  if (!arn.startsWith('arn:'))
    throw new AwsServiceError('InvalidArn', `Invalid Arn: 'Invalid ARN prefix: ${arn}'`);
}

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

      this.machines.set(arn, {
        arn,
        name,
        definition: states,
        machine: new StateMachine(withoutRunnerDeadlines(states), { validationOptions: { checkArn: false } }),
        createdAt: Date.now(),
        states: new Map(statesOf(states)),
        outermostMaps: outermostMaps(states),
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
        roleArn: this.roleArn,
        creationDate: m.createdAt / 1000,
      };
    },
    StartExecution: (input: { stateMachineArn?: unknown; name?: unknown; input?: unknown }) =>
      this.startExecution(input),
    DescribeExecution: (input: { executionArn?: unknown }) =>
      this.describe(this.execution(input.executionArn)),
    ListExecutions: (input: ListExecutionsParameters & { stateMachineArn?: unknown }) => {
      const m = this.machine(input.stateMachineArn);
      const newestFirst = [...this.executions.values()]
        .filter((e) => e.stateMachineArn === m.arn)
        .sort((a, b) => b.startDate - a.startDate);
      const { page, nextToken } = executionsPage(newestFirst, input);
      return { executions: page.map((e) => this.summary(e)), ...(nextToken ? { nextToken } : {}) };
    },
    GetExecutionHistory: (input: {
      executionArn?: unknown;
      reverseOrder?: unknown;
      maxResults?: unknown;
      nextToken?: unknown;
    }) => {
      requirePagingWithinLimits(input);
      const history = this.execution(input.executionArn).history.events;
      const reverse = input.reverseOrder === true;
      // As in AWS: 100 events a page unless asked (at most 1,000), a nextToken while more remain.
      const pageSize = typeof input.maxResults === 'number' && input.maxResults > 0 ? input.maxResults : 100;
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
      requireFailureWithinLimits(input);
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
      requireFailureWithinLimits(input);
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
    return this.execution(executionArn).history.events;
  }

  /** Every execution's history (for leak scans). */
  allHistories(): HistoryEvent[][] {
    return [...this.executions.values()].map((e) => e.history.events);
  }

  private get roleArn(): string {
    return `arn:aws:iam::${this.accountId}:role/local`;
  }

  private machine(arn: unknown): MachineRecord {
    if (typeof arn !== 'string') throw new AwsServiceError('InvalidArn', 'stateMachineArn is required');
    requireArnPrefix(arn);
    const machine = this.machines.get(arn);
    if (!machine)
      throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private execution(arn: unknown): ExecutionRecord {
    if (typeof arn !== 'string') throw new AwsServiceError('InvalidArn', 'executionArn is required');
    requireArnPrefix(arn);
    const execution = this.executions.get(arn);
    if (!execution) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  /**
   * The waiting task of a token (API reference, SendTaskSuccess, Errors): a token this endpoint never
   * issued is InvalidToken; one whose task was answered, timed out or stopped is TaskTimedOut.
   */
  private task(token: unknown): PendingTask {
    const task = typeof token === 'string' ? this.tasks.get(token) : undefined;
    if (!task) throw new AwsServiceError('InvalidToken', 'The provided token is not valid.');
    if (task.settled) {
      throw new AwsServiceError(
        'TaskTimedOut',
        'The task token has either expired or the task associated with the token has already been closed.',
      );
    }
    return task;
  }

  /** ListExecutions' item: what DescribeExecution says without data (recorded: test_list_executions_pagination). */
  private summary(e: ExecutionRecord) {
    return {
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: e.startDate / 1000,
      stopDate: e.stopDate === undefined ? undefined : e.stopDate / 1000,
      redriveCount: 0,
    };
  }

  /**
   * DescribeExecution as AWS answers it (recorded: test_sfn_api, test_base, test_timeouts snapshots):
   * input and output included, no redrive yet, a succeeded or running execution not redrivable and
   * an ended one redrivable; error and cause only where the execution has them.
   */
  private describe(e: ExecutionRecord) {
    const redrivable = e.status !== 'RUNNING' && e.status !== 'SUCCEEDED';
    return {
      ...this.summary(e),
      input: e.input,
      inputDetails: { included: true },
      ...(e.output === undefined ? {} : { output: e.output, outputDetails: { included: true } }),
      ...(e.error === undefined ? {} : { error: e.error }),
      ...(e.cause === undefined ? {} : { cause: e.cause }),
      redriveStatus: redrivable ? 'REDRIVABLE' : 'NOT_REDRIVABLE',
      ...(redrivable ? {} : { redriveStatusReason: `Execution is ${e.status} and cannot be redriven` }),
    };
  }

  private startExecution(input: { stateMachineArn?: unknown; name?: unknown; input?: unknown }) {
    const machine = this.machine(input.stateMachineArn);
    const name = requireExecutionName(input.name === undefined ? randomUUID() : input.name);
    const text = input.input === undefined ? '{}' : input.input;
    if (typeof text !== 'string') {
      throw new AwsServiceError(
        'InvalidExecutionInput',
        'Invalid State Machine Execution Input: not a string',
      );
    }
    requireExecutionInputWithinLimit(text);
    const parsed = parseExecutionInput(text);
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
    const history = new ExecutionHistory(
      this.region,
      this.roleArn,
      (mapState, mapInput) => {
        const state = machine.states.get(mapState);
        const items = valueAt(state?.Type === 'Map' ? (state.ItemsPath ?? '$') : '$', mapInput);
        return Array.isArray(items) ? items.length : undefined;
      },
      (state) => machine.outermostMaps.get(state),
      () => run.abort(),
    );
    const run = machine.machine.run(parsed, {
      overrides: this.overridesFor(machine, executionArn, history),
      noThrowOnAbort: true,
      context: this.contextFor(machine, executionArn, name, parsed, startDate),
    });
    const collected = history.collect(run.eventLogs);
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.arn,
      name,
      input: text,
      startDate,
      status: 'RUNNING',
      history,
      abort: run.abort,
      finished: this.settle(run.result, collected, () => record),
    };
    this.executions.set(executionArn, record);
    return { executionArn, startDate: startDate / 1000 };
  }

  /** Records how the execution ended once the runner and its history have. */
  private async settle(
    result: Promise<unknown>,
    collected: Promise<void>,
    record: () => ExecutionRecord,
  ): Promise<void> {
    const outcome = await result.then(
      (output) => ({ output }),
      (error: unknown) => ({ error }),
    );
    await collected;
    const execution = record();
    const terminal = execution.history.terminalFailure;
    if (terminal) {
      execution.status = 'FAILED';
      execution.error = terminal.error;
      execution.cause = terminal.cause;
    } else if (execution.stopRequested) {
      execution.status = 'ABORTED';
    } else if ('output' in outcome) {
      execution.status = 'SUCCEEDED';
      execution.output = JSON.stringify(outcome.output);
    } else {
      // The runner wraps the state's error in ExecutionError; its cause carries the Step Functions error.
      const { error } = outcome;
      const inner = error instanceof Error && error.name === 'ExecutionError' ? error.cause : error;
      const { name, message } = errorOf(inner);
      // A timed-out execution has neither error nor cause (recorded: test_timeouts.snapshot.json).
      const timedOut = name === 'ExecutionTimeoutError';
      execution.status = timedOut ? 'TIMED_OUT' : 'FAILED';
      execution.error = timedOut ? undefined : name;
      execution.cause = timedOut || message === '' ? undefined : message;
    }
    execution.stopDate = Date.now();
    for (const task of this.tasks.values()) {
      if (task.executionArn === execution.executionArn) task.cancel();
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
        RoleArn: this.roleArn,
      },
      StateMachine: { Id: machine.arn, Name: machine.name },
      Task: {
        // A fresh token each time a callback task reads it; the Task's override waits for it.
        get Token() {
          const token = randomUUID();
          const unclaimed = () => {};
          const pending: PendingTask = {
            executionArn,
            settled: false,
            resolve: unclaimed,
            reject: unclaimed,
            heartbeat: unclaimed,
            cancel: () => {
              pending.settled = true;
            },
          };
          tasks.set(token, pending);
          return token;
        },
      },
    };
  }

  private overridesFor(machine: MachineRecord, executionArn: string, history: ExecutionHistory) {
    const taskResourceLocalHandlers: Record<string, (input: Json) => Promise<Json>> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    const waitTimeOverrides: Record<string, number> = {};
    for (const [name, state] of machine.states) {
      if (this.retryOverrideMs !== undefined && 'Retry' in state && state.Retry) {
        retryIntervalOverrides[name] = this.retryOverrideMs;
      }
      if (this.options.waitOverrideMs !== undefined && state.Type === 'Wait') {
        waitTimeOverrides[name] = this.options.waitOverrideMs;
      }
      if (state.Type !== 'Task') continue;
      if (!state.Resource.startsWith('arn:aws:states:::lambda:invoke')) {
        throw new Error(`local Step Functions runs lambda:invoke tasks only; ${name} uses ${state.Resource}`);
      }
      const task: TaskDefinition = {
        name,
        resource: taskResourceOf(state.Resource),
        waitsForToken: state.Resource.endsWith('.waitForTaskToken'),
        timeoutSeconds: 'TimeoutSeconds' in state ? Number(state.TimeoutSeconds) : undefined,
        heartbeatSeconds: 'HeartbeatSeconds' in state ? Number(state.HeartbeatSeconds) : undefined,
      };
      taskResourceLocalHandlers[name] = (parameters) =>
        this.runTask(machine.arn, executionArn, history, task, parameters);
    }
    return { taskResourceLocalHandlers, retryIntervalOverrides, waitTimeOverrides };
  }

  /** One attempt of a Task state, with the events AWS records for it and the limits it applies. */
  private async runTask(
    stateMachineArn: string,
    executionArn: string,
    history: ExecutionHistory,
    task: TaskDefinition,
    parameters: Json,
  ): Promise<Json> {
    // A turn for the history to take the state's entry (and a state output over the limit before it).
    await new Promise((resolve) => setImmediate(resolve));
    if (history.terminalFailure) throw new Error('the execution failed before this task started');
    const events = history.taskStarted(task.name, task.resource, parameters, {
      timeoutInSeconds: task.timeoutSeconds,
      heartbeatInSeconds: task.heartbeatSeconds,
    });
    let deadline: NodeJS.Timeout | undefined;
    try {
      const attempt = task.waitsForToken
        ? this.invokeAndWaitForToken(stateMachineArn, executionArn, parameters, task, events)
        : this.invokeLambda(stateMachineArn, parameters);
      const timedOut = new Promise<never>((_, reject) => {
        // A callback task's deadline is the callback's own (it may be overridden for tests).
        if (task.timeoutSeconds !== undefined && !task.waitsForToken) {
          deadline = timer(task.timeoutSeconds * 1000, () => reject(taskTimedOut()));
        }
      });
      const result = await Promise.race([attempt, timedOut]);
      if (overPayloadLimit(result)) throw taskResultTooLarge(task.resource.resourceType);
      events.succeeded(result);
      return result;
    } catch (error) {
      events.failed(error instanceof Error ? error : new Error(String(error)));
      throw error;
    } finally {
      clearTimeout(deadline);
    }
  }

  private async invokeLambda(stateMachineArn: string, parameters: Json): Promise<Json> {
    const { FunctionName, Payload } = (parameters ?? {}) as { FunctionName?: unknown; Payload?: unknown };
    if (typeof FunctionName !== 'string') throw new Error('lambda:invoke task without a FunctionName');
    try {
      const result = await this.options.invoke(FunctionName, Payload, stateMachineArn);
      return { Payload: (result ?? null) as Json, StatusCode: 200, ExecutedVersion: '$LATEST' };
    } catch (error) {
      // As in AWS: a function's error is named by its errorType and its cause is Lambda's JSON error
      // document; Lambda's own (a throttled invoke) keeps its message.
      const { name, message } = errorOf(error);
      const failure = new Error(
        error instanceof LambdaFunctionError ? JSON.stringify(error.document) : message,
      );
      failure.name = name;
      throw withinFailureLimits(failure);
    }
  }

  private async invokeAndWaitForToken(
    stateMachineArn: string,
    executionArn: string,
    parameters: Json,
    task: TaskDefinition,
    events: TaskEvents,
  ): Promise<Json> {
    const text = JSON.stringify(parameters);
    const token = [...this.tasks.entries()].find(([t, pending]) => !pending.settled && text.includes(t))?.[0];
    if (!token) throw new Error('a .waitForTaskToken task must pass $$.Task.Token in its Payload');
    let expire: () => void = () => {};
    const settled = new Promise<Json>((resolve, reject) => {
      let heartbeatTimer: NodeJS.Timeout | undefined;
      let deadlineTimer: NodeJS.Timeout | undefined;
      // Heartbeat or deadline: both are States.Timeout without a cause, as AWS reports them.
      const timeout = () => finish(() => reject(taskTimedOut()));
      const arm = () => {
        clearTimeout(heartbeatTimer);
        if (task.heartbeatSeconds) heartbeatTimer = timer(task.heartbeatSeconds * 1000, timeout)?.unref();
      };
      const finish = (done: () => void) => {
        const pending = this.tasks.get(token);
        if (!pending || pending.settled) return;
        pending.settled = true;
        clearTimeout(heartbeatTimer);
        clearTimeout(deadlineTimer);
        done();
      };
      if (this.callbackTimeoutOverrideMs === undefined && task.timeoutSeconds !== undefined) {
        deadlineTimer = timer(task.timeoutSeconds * 1000, timeout);
      }
      expire = () => {
        if (this.callbackTimeoutOverrideMs === undefined) return;
        clearTimeout(deadlineTimer);
        deadlineTimer = timer(this.callbackTimeoutOverrideMs, timeout);
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
      events.submitted(await this.invokeLambda(stateMachineArn, parameters));
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
