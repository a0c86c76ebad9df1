/**
 * What every workflow construct shares: one ProvisionerFunction per Task state, the retry policy
 * for transient errors and throttled invokes, operator callback tasks, and a Standard state
 * machine with traces, data-free logs and the metadata local/synth.ts reads.
 */
import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke, type LambdaInvokeProps } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { RETRYABLE_ERROR_NAMES } from '#core/errors.ts';
import { ProvisionerFunction } from '../provisioner-function.ts';

/** CloudFormation Metadata key naming a state machine's workflow (read by local/synth.ts). */
export const WORKFLOW_METADATA = 'provisioner:workflow';

export const RETRYABLE: sfn.RetryProps = {
  errors: [...RETRYABLE_ERROR_NAMES],
  interval: Duration.seconds(2),
  maxAttempts: 4,
  backoffRate: 2,
  maxDelay: Duration.seconds(30),
  jitterStrategy: sfn.JitterType.FULL,
};

/**
 * Lambda refusing an invoke for lack of concurrency (a new account may have 10): Step Functions
 * raises `Lambda.TooManyRequestsException`, which the AWS Step Functions Developer Guide ("Handle
 * Lambda service exceptions") names as the error of a throttled invoke, and which LambdaInvoke's
 * `retryOnServiceExceptions` does not cover (ServiceException, AWSLambdaException,
 * SdkClientException, ClientExecutionTimeoutException only). The function never ran, so another
 * attempt repeats no work. Concurrency frees up as running invocations (a few seconds of vendor
 * calls) end: 6 attempts from 1 s doubling wait up to 63 s in all, and full jitter spreads the
 * executions of a burst (bulk provisions, revoke's Map of 5) so they do not collide again.
 */
const LAMBDA_THROTTLED: sfn.RetryProps = {
  errors: ['Lambda.TooManyRequestsException'],
  interval: Duration.seconds(1),
  maxAttempts: 6,
  backoffRate: 2,
  jitterStrategy: sfn.JitterType.FULL,
};

/** How far apart the attempts of a step that presents a credential are: over half of FortiOS's 60 s lockout window. */
const KEY_CHECK_INTERVAL = Duration.seconds(31);

export interface WorkflowProps {
  readonly key: kms.IKey;
  /** How long an operator has to answer a task in a product's UI (default 3 days). */
  readonly operatorTaskTimeout?: Duration;
  /** How often an operator must acknowledge a waiting task (`provisioner ack`; default 1 day). */
  readonly operatorTaskHeartbeat?: Duration;
}

export interface WorkflowStep {
  readonly fn: ProvisionerFunction;
  readonly task: LambdaInvoke;
}

/**
 * A workflow construct builds its steps with these helpers in its own constructor, then ends with
 * `createStateMachine`: nothing here calls back into a subclass.
 */
export abstract class Workflow extends Construct {
  abstract readonly stateMachine: sfn.StateMachine;
  /**
   * The state machine's ARN built from its name, for settings of this workflow's own functions
   * (FinalizeRotation schedules the next rotation): a reference would be a dependency cycle.
   */
  readonly stateMachineArnByName: string;
  protected readonly operatorTimeout: Duration;
  protected readonly operatorHeartbeat: Duration;
  private readonly key: kms.IKey;
  private readonly workflowName: string;
  private readonly stateMachineName: string;
  private readonly functions: ProvisionerFunction[] = [];

  constructor(scope: Construct, id: string, props: WorkflowProps, workflowName: string) {
    super(scope, id);
    this.key = props.key;
    this.operatorTimeout = props.operatorTaskTimeout ?? Duration.days(3);
    this.operatorHeartbeat = props.operatorTaskHeartbeat ?? Duration.days(1);
    this.workflowName = workflowName;
    this.stateMachineName = `${Stack.of(this).stackName}-${workflowName}`;
    this.stateMachineArnByName = `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:stateMachine:${this.stateMachineName}`;
  }

  /** A Task state calling its own function (`lambdas/handlers/<handlerId>.ts`). */
  protected step(
    stateName: string,
    handlerId: string,
    options: Omit<LambdaInvokeProps, 'lambdaFunction'> = {},
  ): WorkflowStep {
    const fn = new ProvisionerFunction(this, `${stateName}Function`, { handlerId, key: this.key });
    // payloadResponseOnly stays false: ResultSelectors read Lambda's `Payload` envelope.
    const task = new LambdaInvoke(this, stateName, { lambdaFunction: fn.function, ...options });
    // Added first, ahead of every retrier of the handlers' own errors: Step Functions takes the first match.
    task.addRetry(LAMBDA_THROTTLED);
    this.functions.push(fn);
    return { fn, task };
  }

  /**
   * Another Task state calling an existing step's function, for a second place in the definition
   * (state names are unique across it, Map bodies included): a fleet's per-device Map.
   */
  protected stepAgain(
    stateName: string,
    step: WorkflowStep,
    options: Omit<LambdaInvokeProps, 'lambdaFunction'> = {},
  ): WorkflowStep {
    const task = new LambdaInvoke(this, stateName, { lambdaFunction: step.fn.function, ...options });
    task.addRetry(LAMBDA_THROTTLED);
    return { fn: step.fn, task };
  }

  /** The first step: the whole execution input as `request`, the execution name as the request id. */
  protected entryStep(stateName: string, handlerId: string): WorkflowStep {
    return this.step(stateName, handlerId, {
      payload: sfn.TaskInput.fromObject({
        request: sfn.JsonPath.entirePayload,
        executionName: sfn.JsonPath.executionName,
      }),
      outputPath: '$.Payload',
    });
  }

  /**
   * The first state of a workflow that plans before acting: with `"dryRun": true` in the execution
   * input, `plan` (an entry step that changes nothing) answers with the plan and the execution
   * ends; otherwise `run`.
   */
  protected planOr(plan: WorkflowStep, run: sfn.IChainable): sfn.Choice {
    const dryRun = sfn.Condition.and(
      sfn.Condition.isPresent('$.dryRun'),
      sfn.Condition.booleanEquals('$.dryRun', true),
    );
    return new sfn.Choice(this, 'DryRun').when(dryRun, plan.task).otherwise(run);
  }

  /**
   * Retries a step that presents a credential to its product while the product has not caught up
   * (propagation). Every attempt may be a failed login there, and FortiOS locks the caller's
   * address out after 3 within 60 s (products/fortios/README.md): attempts are KEY_CHECK_INTERVAL
   * apart, never closer (no jitter, no backoff), so any 60 s holds at most two of them.
   */
  protected retryWhile(step: WorkflowStep, error: string, maxAttempts: number): void {
    step.task.addRetry({
      errors: [error],
      interval: KEY_CHECK_INTERVAL,
      maxAttempts,
      backoffRate: 1,
      jitterStrategy: sfn.JitterType.NONE,
    });
  }

  /**
   * A callback task a person answers (`provisioner submit`): its Lambda records the task and says
   * what to do; the workflow waits with a heartbeat and a deadline. `input` is what the Lambda gets
   * beside the token and the two bounds; the operator's answer lands at `resultPath`.
   */
  protected operatorTask(
    stateName: string,
    handlerId: string,
    input: string,
    resultPath: string,
    resultSelector?: Record<string, unknown>,
  ): WorkflowStep {
    const step = this.step(stateName, handlerId, this.operatorTaskOptions(input, resultPath, resultSelector));
    step.fn.grantReadTargets();
    step.fn.grantCredentialSecrets('CreateSecret', 'PutSecretValue', 'DescribeSecret', 'TagResource');
    step.fn.grantKey('kms:GenerateDataKey', 'kms:Decrypt');
    step.fn.grantTaskRecords('dynamodb:PutItem');
    step.fn.grantPutEvents();
    return step;
  }

  /** The same callback task as `operator`'s, for a second place in the definition (`stepAgain`). */
  protected operatorTaskAgain(
    stateName: string,
    operator: WorkflowStep,
    input: string,
    resultPath: string,
    resultSelector?: Record<string, unknown>,
  ): WorkflowStep {
    return this.stepAgain(stateName, operator, this.operatorTaskOptions(input, resultPath, resultSelector));
  }

  private operatorTaskOptions(
    input: string,
    resultPath: string,
    resultSelector: Record<string, unknown> | undefined,
  ): Omit<LambdaInvokeProps, 'lambdaFunction'> {
    return {
      resultSelector,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        [`${input}.$`]: '$',
        taskToken: sfn.JsonPath.taskToken,
        timeoutSeconds: this.operatorTimeout.toSeconds(),
        heartbeatSeconds: this.operatorHeartbeat.toSeconds(),
      }),
      taskTimeout: sfn.Timeout.duration(this.operatorTimeout),
      heartbeatTimeout: sfn.Timeout.duration(this.operatorHeartbeat),
      resultPath,
    };
  }

  /** Retries transient errors, then hands any error to `handler` at `$.error`. */
  protected retryThenCatch(steps: readonly WorkflowStep[], handler: sfn.IChainable): void {
    for (const { task } of steps) {
      task.addRetry(RETRYABLE);
      task.addCatch(handler, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    }
  }

  /**
   * The Standard state machine running `definition`, with traces, data-free logs and the metadata
   * local/synth.ts reads. Called last: its role's findings are acknowledged per step created so far.
   */
  protected createStateMachine(definition: sfn.IChainable, timeout: Duration): sfn.StateMachine {
    const stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: this.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout,
      tracingEnabled: true,
      logs: {
        // The vendedlogs prefix keeps CloudWatch's account-wide resource policy from growing per log group.
        destination: new logs.LogGroup(this, 'LogGroup', {
          logGroupName: `/aws/vendedlogs/states/${this.stateMachineName}`,
          retention: logs.RetentionDays.THREE_MONTHS,
          // Named, so removed with the stack: a retained one would make the next create of this name fail.
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    (stateMachine.node.defaultChild as sfn.CfnStateMachine).addMetadata(WORKFLOW_METADATA, this.workflowName);
    this.acknowledgeRoleFindings(stateMachine);
    return stateMachine;
  }

  private acknowledgeRoleFindings(stateMachine: sfn.StateMachine): void {
    const role = Validations.of(stateMachine.role);
    role.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The CloudWatch Logs delivery and X-Ray actions Step Functions needs for logging and tracing support no resource-level permissions',
    });
    // LambdaInvoke grants <function ARN>:* too, for versions and aliases of the same function.
    for (const fn of this.functions) {
      const logicalId = Stack.of(this).resolve((fn.function.node.defaultChild as CfnFunction).logicalId);
      role.acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
        reason: 'Invoking versions and aliases of this one workflow function, never any other function',
      });
    }
  }
}
