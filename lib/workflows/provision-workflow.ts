import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke, type LambdaInvokeProps } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { NOT_YET_VALID_ERROR_NAMES, RETRYABLE_ERROR_NAMES } from '#core/errors.ts';
import { ProvisionerFunction } from '../provisioner-function.ts';

/** CloudFormation Metadata key naming a state machine's workflow (read by local/synth.ts). */
export const WORKFLOW_METADATA = 'provisioner:workflow';

export interface ProvisionWorkflowProps {
  readonly key: kms.IKey;
  /** How long an operator has to hand in a credential a product issues only in its UI (default 3 days). */
  readonly operatorTaskTimeout?: Duration;
  /** How often an operator must acknowledge a waiting task (`provisioner ack`; default 1 day). */
  readonly operatorTaskHeartbeat?: Duration;
}

const RETRYABLE: sfn.RetryProps = {
  errors: [...RETRYABLE_ERROR_NAMES],
  interval: Duration.seconds(2),
  maxAttempts: 4,
  backoffRate: 2,
  maxDelay: Duration.seconds(30),
  jitterStrategy: sfn.JitterType.FULL,
};

/**
 * Provision (DESIGN.md section 2): validate -> access profile -> API user -> key into Secrets Manager
 * -> verify -> finalize; any failure after validation compensates, then fails with the original error.
 * Products that issue credentials only in their UI take the operator branch instead of the three
 * API steps: a callback task an operator answers with `provisioner submit`.
 */
export class ProvisionWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: ProvisionWorkflowProps) {
    super(scope, id);
    const step = (
      stateName: string,
      handlerId: string,
      options: Omit<LambdaInvokeProps, 'lambdaFunction'> = {},
    ) => {
      const fn = new ProvisionerFunction(this, `${stateName}Function`, { handlerId, key: props.key });
      // payloadResponseOnly stays false: the ResultSelectors below read Lambda's `Payload` envelope.
      const task = new LambdaInvoke(this, stateName, { lambdaFunction: fn.function, ...options });
      return { fn, task };
    };

    const validate = step('ValidateRequest', 'validate-request', {
      payload: sfn.TaskInput.fromObject({
        request: sfn.JsonPath.entirePayload,
        executionName: sfn.JsonPath.executionName,
      }),
      outputPath: '$.Payload',
    });
    validate.fn.grantReadTargets();
    validate.fn.grantCredentialSecrets('DescribeSecret');

    const ensured = { 'createdByThisRequest.$': '$.Payload.createdByThisRequest' };
    const profile = step('EnsureAccessProfile', 'ensure-access-profile', {
      resultSelector: ensured,
      resultPath: '$.accessProfile',
    });
    profile.fn.grantReadTargets();

    const user = step('CreateApiUser', 'create-api-user', {
      resultSelector: ensured,
      resultPath: '$.apiUser',
    });
    user.fn.grantReadTargets();

    const issue = step('IssueKeyAndStore', 'issue-key-and-store', {
      resultSelector: {
        'secretArn.$': '$.Payload.secretArn',
        'versionId.$': '$.Payload.versionId',
      },
      resultPath: '$.credential',
    });
    issue.fn.grantReadTargets();
    issue.fn.grantCredentialSecrets('CreateSecret', 'PutSecretValue', 'DescribeSecret', 'TagResource');
    issue.fn.grantKey('kms:GenerateDataKey', 'kms:Decrypt');

    const timeout = props.operatorTaskTimeout ?? Duration.days(3);
    const heartbeat = props.operatorTaskHeartbeat ?? Duration.days(1);
    const operator = step('RequestOperatorCredential', 'request-operator-credential', {
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        state: sfn.JsonPath.entirePayload,
        taskToken: sfn.JsonPath.taskToken,
        timeoutSeconds: timeout.toSeconds(),
        heartbeatSeconds: heartbeat.toSeconds(),
      }),
      taskTimeout: sfn.Timeout.duration(timeout),
      heartbeatTimeout: sfn.Timeout.duration(heartbeat),
      // The operator's answer is the whole output: {secretArn, versionId}.
      resultPath: '$.credential',
    });
    operator.fn.grantReadTargets();
    operator.fn.grantCredentialSecrets('CreateSecret', 'PutSecretValue', 'DescribeSecret', 'TagResource');
    operator.fn.grantKey('kms:GenerateDataKey', 'kms:Decrypt');
    operator.fn.grantPutEvents();

    const verify = step('VerifyCredential', 'verify-credential', { resultPath: sfn.JsonPath.DISCARD });
    verify.fn.grantReadTargets();
    // Token-broker products: the bearer token the check minted is kept in its own secret.
    verify.fn.grantCredentialSecrets(
      'GetSecretValue',
      'DescribeSecret',
      'CreateSecret',
      'PutSecretValue',
      'TagResource',
    );
    verify.fn.grantKey('kms:Decrypt', 'kms:GenerateDataKey');
    // The product may take a moment to accept a fresh key.
    verify.task.addRetry({
      errors: [...NOT_YET_VALID_ERROR_NAMES],
      interval: Duration.seconds(2),
      maxAttempts: 5,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });

    const finalize = step('FinalizeCredential', 'finalize-credential', { outputPath: '$.Payload' });
    finalize.fn.grantCredentialSecrets('DescribeSecret', 'TagResource', 'UpdateSecretVersionStage');
    finalize.fn.grantPutEvents();

    const compensate = step('CompensateProvision', 'compensate-provision', { resultPath: '$.compensation' });
    compensate.fn.grantReadTargets();
    compensate.fn.grantCredentialSecrets(
      'DescribeSecret',
      'GetSecretValue',
      'UpdateSecretVersionStage',
      'DeleteSecret',
    );
    compensate.fn.grantKey('kms:Decrypt');
    compensate.fn.grantPutEvents();
    compensate.task.addRetry(RETRYABLE);
    compensate.task.next(
      new sfn.Fail(this, 'ProvisionFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
    );

    // A rejected request (ValidateRequest) fails at once: nothing exists yet to compensate.
    for (const { task } of [profile, user, issue, operator, verify, finalize]) {
      task.addRetry(RETRYABLE);
      task.addCatch(compensate.task, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    }

    // Both ways of obtaining a credential meet at VerifyCredential.
    operator.task.next(verify.task);

    const stateMachineName = `${Stack.of(this).stackName}-provision`;
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(
        validate.task.next(
          new sfn.Choice(this, 'IssuedBy')
            .when(sfn.Condition.stringEquals('$.issuance', 'operator'), operator.task)
            .otherwise(profile.task.next(user.task).next(issue.task).next(verify.task).next(finalize.task)),
        ),
      ),
      // Bounded, yet long enough for an operator task to run to its own deadline.
      timeout: timeout.plus(Duration.hours(1)),
      tracingEnabled: true,
      logs: {
        // The vendedlogs prefix keeps CloudWatch's account-wide resource policy from growing per log group.
        destination: new logs.LogGroup(this, 'LogGroup', {
          logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
          retention: logs.RetentionDays.THREE_MONTHS,
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    (this.stateMachine.node.defaultChild as sfn.CfnStateMachine).addMetadata(WORKFLOW_METADATA, 'provision');

    const role = Validations.of(this.stateMachine.role);
    role.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The CloudWatch Logs delivery and X-Ray actions Step Functions needs for logging and tracing support no resource-level permissions',
    });
    // LambdaInvoke grants <function ARN>:* too, for versions and aliases of the same function.
    for (const { fn } of [validate, profile, user, issue, operator, verify, finalize, compensate]) {
      const logicalId = Stack.of(this).resolve((fn.function.node.defaultChild as CfnFunction).logicalId);
      role.acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
        reason: 'Invoking versions and aliases of this one workflow function, never any other function',
      });
    }
  }
}
