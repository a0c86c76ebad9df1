/**
 * One execution's history as GetExecutionHistory answers it: AWS's event types and details
 * (LocalStack's AWS-validated snapshots under tests/aws/services/stepfunctions/v2), ids from 1, and
 * `previousEventId` naming the event before it in the same branch (a Map iteration, or the
 * execution itself). The runner's events give the states; the Task overrides add the task's own
 * events (TaskScheduled, TaskStarted, TaskSubmitted, TaskSucceeded, TaskFailed, TaskTimedOut),
 * which the runner does not know.
 */
import type { StateMachine } from 'aws-local-stepfunctions';
import { DATA_LIMIT_ERROR, dataLimitCause, overPayloadLimit } from './payload-limit.ts';

/**
 * "A hard quota of 25,000 entries in the execution event history": when event 25,000 is not
 * ExecutionSucceeded, ExecutionFailed is logged in its place and the execution fails (developer
 * guide, https://docs.aws.amazon.com/step-functions/latest/dg/bp-history-limit.html). The error and
 * cause are as AWS records them: States.Runtime, "The execution reached the maximum number of
 * history events (25000)." (an ExecutionFailed event with id 25000 quoted from a console in an AWS
 * Guidance README, and github:aws-samples/aws-organizations-tag-inventory issue 16).
 */
const HISTORY_EVENT_LIMIT = 25_000;
const HISTORY_LIMIT_FAILURE: ExecutionFailure = {
  error: 'States.Runtime',
  cause: `The execution reached the maximum number of history events (${HISTORY_EVENT_LIMIT}).`,
};
/** The events that end an execution: one of them may be event 25,000 itself. */
const EXECUTION_ENDS = new Set([
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionAborted',
  'ExecutionTimedOut',
]);

type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export interface HistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: number;
  readonly type: string;
  readonly [details: string]: unknown;
}

/** What a failed execution reports (DescribeExecution's error and cause, ExecutionFailed's details). */
export interface ExecutionFailure {
  readonly error: string;
  readonly cause?: string | undefined;
}

/** The task of a state, as its history events name it: `arn:aws:states:::lambda:invoke` is lambda / invoke. */
export interface TaskResource {
  readonly resourceType: string;
  readonly resource: string;
}

export function taskResourceOf(arn: string): TaskResource {
  const match = /^arn:aws:states:::([^:]+):(.+)$/.exec(arn);
  return { resourceType: match?.[1] ?? 'lambda', resource: match?.[2] ?? arn };
}

/**
 * The branch of an event: its Map iteration (the Map's name and the index, as two Maps side by side
 * in a Parallel each number theirs from 0), or the execution's own.
 */
const EXECUTION_BRANCH = 'execution';
const iterationBranch = (mapState: string | undefined, index: number) => `${mapState ?? ''}#${index}`;
const notTruncated = { truncated: false } as const;
const json = (value: unknown) => JSON.stringify(value ?? null);

/** A Task's events, added by its override once the state's entry is in the history. */
export interface TaskEvents {
  submitted(output: unknown): void;
  succeeded(output: unknown): void;
  failed(error: Error): void;
}

export class ExecutionHistory {
  readonly events: HistoryEvent[] = [];
  /**
   * Set when a state's output passes the payload quota (terminal, no catcher sees it: developer
   * guide, "Error names": States.ALL does not catch States.DataLimitExceeded) or the history its
   * limit; the execution fails.
   */
  terminalFailure: ExecutionFailure | undefined;
  private readonly lastInBranch = new Map<string, number>();
  /** Branches of the Task states entered or retried, by state name, until their override claims them. */
  private readonly tasksEntered = new Map<string, string[]>();

  constructor(
    private readonly region: string,
    private readonly roleArn: string,
    /** The items a Map state iterates over, for MapStateStarted's length. */
    private readonly mapLength: (mapState: string, input: unknown) => number | undefined,
    /**
     * The outermost Map a state is in: the runner gives a state's events the index of that Map's
     * iteration (a nested Map's own index is overwritten by its parent's).
     */
    private readonly mapOf: (stateName: string) => string | undefined,
    /** Called once when a state's output passed the quota (the endpoint aborts the run). */
    private readonly onTerminalFailure: () => void,
  ) {}

  /** Reads the runner's events until the execution ends. */
  async collect(logs: AsyncGenerator<EventLog>): Promise<void> {
    for await (const event of logs) this.record(event);
  }

  /** The Task override's events: TaskScheduled and TaskStarted now, the outcome later. */
  taskStarted(
    stateName: string,
    resource: TaskResource,
    parameters: unknown,
    bounds: { timeoutInSeconds?: number | undefined; heartbeatInSeconds?: number | undefined },
  ): TaskEvents {
    const branch = this.tasksEntered.get(stateName)?.shift() ?? EXECUTION_BRANCH;
    this.append(branch, 'TaskScheduled', {
      taskScheduledEventDetails: {
        ...resource,
        region: this.region,
        parameters: json(parameters),
        ...(bounds.timeoutInSeconds === undefined ? {} : { timeoutInSeconds: bounds.timeoutInSeconds }),
        ...(bounds.heartbeatInSeconds === undefined ? {} : { heartbeatInSeconds: bounds.heartbeatInSeconds }),
      },
    });
    this.append(branch, 'TaskStarted', { taskStartedEventDetails: { ...resource } });
    const withOutput = (output: unknown) => ({
      ...resource,
      output: json(output),
      outputDetails: notTruncated,
    });
    return {
      submitted: (output) =>
        this.append(branch, 'TaskSubmitted', { taskSubmittedEventDetails: withOutput(output) }),
      succeeded: (output) =>
        this.append(branch, 'TaskSucceeded', { taskSucceededEventDetails: withOutput(output) }),
      failed: (error) =>
        // A timeout carries no cause (recorded: test_callback / test_task_service_lambda snapshots).
        error.name === 'States.Timeout'
          ? this.append(branch, 'TaskTimedOut', {
              taskTimedOutEventDetails: { error: error.name, ...resource },
            })
          : this.append(branch, 'TaskFailed', {
              taskFailedEventDetails: { error: error.name, ...causeOf(error.message), ...resource },
            }),
    };
  }

  private record(event: EventLog) {
    const branch =
      'index' in event && typeof event.index === 'number' && 'state' in event
        ? iterationBranch(this.mapOf(event.state.name), event.index)
        : EXECUTION_BRANCH;
    switch (event.type) {
      case 'ExecutionStarted':
        return this.append(branch, 'ExecutionStarted', {
          executionStartedEventDetails: {
            input: json(event.input),
            inputDetails: notTruncated,
            roleArn: this.roleArn,
          },
        });
      case 'ExecutionSucceeded':
        return this.terminalFailure
          ? this.executionFailed(this.terminalFailure)
          : this.append(branch, 'ExecutionSucceeded', {
              executionSucceededEventDetails: { output: json(event.output), outputDetails: notTruncated },
            });
      case 'ExecutionFailed':
        return this.executionFailed(this.terminalFailure ?? { error: event.Error, ...causeOf(event.Cause) });
      case 'ExecutionAborted':
        return this.terminalFailure
          ? this.executionFailed(this.terminalFailure)
          : this.append(branch, 'ExecutionAborted', {});
      case 'ExecutionTimeout':
        return this.append(branch, 'ExecutionTimedOut', { executionTimedOutEventDetails: {} });
      default:
        if (this.terminalFailure) return;
        return this.recordState(event, branch);
    }
  }

  private recordState(event: EventLog, branch: string) {
    switch (event.type) {
      case 'StateEntered': {
        const { name, type, input } = event.state;
        this.append(branch, `${type}StateEntered`, {
          stateEnteredEventDetails: { name, input: json(input), inputDetails: notTruncated },
        });
        if (type === 'Task') this.taskEntered(name, branch);
        if (type === 'Map') {
          const length = this.mapLength(name, input);
          this.append(branch, 'MapStateStarted', {
            mapStateStartedEventDetails: length === undefined ? {} : { length },
          });
        }
        // Recorded: LocalStack's test_base_scenarios.snapshot.json, test_parallel_state.
        if (type === 'Parallel') this.append(branch, 'ParallelStateStarted', {});
        return;
      }
      case 'StateExited': {
        const { name, type, output } = event.state;
        if (overPayloadLimit(output)) {
          this.terminalFailure = { error: DATA_LIMIT_ERROR, cause: dataLimitCause(name) };
          this.onTerminalFailure();
          return;
        }
        if (type === 'Map' || type === 'Parallel') this.append(branch, `${type}StateSucceeded`, {});
        return this.append(branch, `${type}StateExited`, {
          stateExitedEventDetails: { name, output: json(output), outputDetails: notTruncated },
        });
      }
      case 'StateFailed':
        // A Task's failure is its override's TaskFailed / TaskTimedOut; a Fail state's is the execution's.
        if (event.state.type === 'Map' || event.state.type === 'Parallel')
          this.append(branch, `${event.state.type}StateFailed`, {});
        return;
      case 'StateRetried':
        if (event.state.type === 'Task') this.taskEntered(event.state.name, branch);
        return;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const key = `mapIteration${event.type.slice('MapIteration'.length)}EventDetails`;
        return this.append(iterationBranch(event.parentState.name, event.index), event.type, {
          [key]: { index: event.index, name: event.parentState.name },
        });
      }
      default:
        return;
    }
  }

  private taskEntered(stateName: string, branch: string): void {
    const entered = this.tasksEntered.get(stateName) ?? [];
    entered.push(branch);
    this.tasksEntered.set(stateName, entered);
  }

  private executionFailed(failure: ExecutionFailure): void {
    this.append(EXECUTION_BRANCH, 'ExecutionFailed', {
      executionFailedEventDetails: { error: failure.error, ...causeOf(failure.cause) },
    });
  }

  private append(branch: string, type: string, details: Record<string, unknown>): void {
    if (this.events.length >= HISTORY_EVENT_LIMIT) return;
    if (this.events.length === HISTORY_EVENT_LIMIT - 1 && !EXECUTION_ENDS.has(type)) {
      this.terminalFailure = HISTORY_LIMIT_FAILURE;
      this.executionFailed(HISTORY_LIMIT_FAILURE);
      this.onTerminalFailure();
      return;
    }
    const id = this.events.length + 1;
    const previousEventId =
      branch === EXECUTION_BRANCH
        ? this.events.length
        : (this.lastInBranch.get(branch) ?? this.lastInBranch.get(EXECUTION_BRANCH) ?? 0);
    this.lastInBranch.set(branch, id);
    this.events.push({ id, previousEventId, timestamp: Date.now(), type, ...details });
  }
}

/** An empty cause is no cause: AWS leaves the field out (a timeout's, recorded). */
function causeOf(cause: unknown): { cause?: string } {
  return typeof cause === 'string' && cause !== '' ? { cause } : {};
}
