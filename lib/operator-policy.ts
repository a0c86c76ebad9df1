/**
 * What an operator needs to run the CLI (docs/cli.md) against the stack, as one managed policy to
 * attach to the operators' role or permission set: start and follow the workflows, answer operator
 * tasks, add and remove targets, hand in the credentials a product shows once, move credentials to another
 * owner (`provisioner transfer`). Answers go through one function (AcceptOperatorAnswer), which
 * alone answers tasks with their tokens and compares, verifies and stores what is handed in: the
 * operator reads no credential, writes no credential value, and answers no task directly (it lists
 * tasks without their tokens; it has no states:SendTask*).
 */
import { Aws, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { OperatorTaskTable } from './operator-task-table.ts';
import { stackNames } from './stack-names.ts';
import type { RotationSchedules } from './triggers/rotation-schedules.ts';

export interface OperatorPolicyProps {
  readonly key: kms.IKey;
  /** AcceptOperatorAnswer, which `provisioner submit`, `ack` and `tasks <id>` invoke. */
  readonly answerFunction: lambda.IFunction;
  /** The credentials' schedules, which `provisioner rotation pause|resume` disables and enables. */
  readonly rotationSchedules: RotationSchedules;
  /** The workflows an operator starts and follows (`provisioner start`, `revoke`, `rotate`). */
  readonly workflows: readonly sfn.IStateMachine[];
  /** Of those, the revoke workflow, whose running executions `provisioner revoke` lists first. */
  readonly revokeWorkflow: sfn.IStateMachine;
}

export class OperatorPolicy extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: OperatorPolicyProps) {
    super(scope, id);
    const names = stackNames(this);
    const { credentials, targets } = names.secrets;
    const { table: taskTable } = OperatorTaskTable.of(this);
    const secret = (pattern: string) =>
      `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${pattern}`;
    // Where the workflows' events go, and the operator's announcements with them.
    const defaultBus = `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/default`;
    const executions = props.workflows.map(
      (m) =>
        `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:${Fn.select(6, Fn.split(':', m.stateMachineArn))}:*`,
    );
    const statements = [
      new iam.PolicyStatement({
        sid: 'StartWorkflows',
        actions: ['states:StartExecution'],
        resources: props.workflows.map((m) => m.stateMachineArn),
      }),
      // Every command without --state-machine-arn finds its workflow by the stack's name; the
      // listing takes no resource-level permission (names and ARNs only).
      new iam.PolicyStatement({
        sid: 'FindWorkflows',
        actions: ['states:ListStateMachines'],
        resources: ['*'],
      }),
      // `provisioner revoke --owner` follows a revocation of the owner already running instead of starting another.
      new iam.PolicyStatement({
        sid: 'ListRunningRevocations',
        actions: ['states:ListExecutions'],
        resources: [props.revokeWorkflow.stateMachineArn],
      }),
      new iam.PolicyStatement({
        sid: 'FollowWorkflows',
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
        resources: executions,
      }),
      // `provisioner submit`, `ack`, `tasks <id>`: that one function, unqualified (Invoke on a version
      // or alias would need `<arn>:*`; the stack publishes none).
      new iam.PolicyStatement({
        sid: 'AnswerOperatorTasks',
        actions: ['lambda:InvokeFunction'],
        resources: [props.answerFunction.functionArn],
      }),
      // ListSecrets supports no resource scoping; it returns names and tags (the key limit, `revoke --owner`).
      new iam.PolicyStatement({
        sid: 'ListSecrets',
        actions: ['secretsmanager:ListSecrets'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'ManageTargets',
        actions: [
          'secretsmanager:CreateSecret',
          'secretsmanager:PutSecretValue',
          'secretsmanager:GetSecretValue',
        ],
        resources: [secret(`${targets}*`)],
      }),
      // `provisioner tasks` lists them (Scan, projecting no token: lambdas/core/operator-task-store.ts).
      // A token read anyway answers nothing: the operator has no states:SendTask* (AcceptOperatorAnswer does).
      new iam.PolicyStatement({
        sid: 'ListTasks',
        actions: ['dynamodb:Scan'],
        resources: [taskTable.tableArn],
      }),
      // DynamoDB decrypts the task table's key as the caller (lib/operator-task-table.ts).
      new iam.PolicyStatement({
        sid: 'KeyThroughDynamoDB',
        actions: ['kms:Decrypt'],
        resources: [props.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Aws.REGION}.amazonaws.com` } },
      }),
      // Status, access and rotation commands describe a credential: names, tags, version ids, no value.
      new iam.PolicyStatement({
        sid: 'DescribeCredentials',
        actions: ['secretsmanager:DescribeSecret'],
        resources: [secret(`${credentials}*`)],
      }),
      // `provisioner transfer`: a credential's owner tags move to the new owner, a hold's tag goes,
      // and each move is announced on the default bus (where the workflows' events go).
      new iam.PolicyStatement({
        sid: 'TransferOwnership',
        actions: ['secretsmanager:TagResource', 'secretsmanager:UntagResource'],
        resources: [secret(`${credentials}*`)],
      }),
      new iam.PolicyStatement({
        sid: 'AnnounceTransfers',
        actions: ['events:PutEvents'],
        resources: [defaultBus],
      }),
      // A transfer releases a hold: its hold-end schedule goes (lambdas/core/hold-ends.ts).
      new iam.PolicyStatement({
        sid: 'ReleaseHolds',
        actions: ['scheduler:DeleteSchedule'],
        resources: [
          `arn:${Aws.PARTITION}:scheduler:${Aws.REGION}:${Aws.ACCOUNT_ID}:schedule/${props.rotationSchedules.groupName}/hold-*`,
        ],
      }),
      // `provisioner target remove`: a target's secret (with a recovery window) and its admin
      // rotation schedules (`rotate-targets_*`, named after the target's secret: lambdas/core/schedules.ts),
      // never a credential's; the removal is announced on the default bus (AnnounceTransfers).
      new iam.PolicyStatement({
        sid: 'RemoveTargets',
        actions: ['secretsmanager:DeleteSecret'],
        resources: [secret(`${targets}*`)],
      }),
      new iam.PolicyStatement({
        sid: 'RemoveTargetSchedules',
        actions: ['scheduler:DeleteSchedule'],
        resources: [
          `arn:${Aws.PARTITION}:scheduler:${Aws.REGION}:${Aws.ACCOUNT_ID}:schedule/${props.rotationSchedules.groupName}/rotate-targets_*`,
        ],
      }),
      // `provisioner rotation pause|resume`: UpdateSchedule replaces the whole schedule, its target's
      // role included, so the role is passed again; the pause is recorded on the credential's tags.
      new iam.PolicyStatement({
        sid: 'PauseRotations',
        actions: ['scheduler:GetSchedule', 'scheduler:UpdateSchedule'],
        resources: [
          `arn:${Aws.PARTITION}:scheduler:${Aws.REGION}:${Aws.ACCOUNT_ID}:schedule/${props.rotationSchedules.groupName}/*`,
        ],
      }),
      new iam.PolicyStatement({
        sid: 'PassScheduleRole',
        actions: ['iam:PassRole'],
        resources: [props.rotationSchedules.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
      new iam.PolicyStatement({
        sid: 'RecordRotationPauses',
        actions: ['secretsmanager:UntagResource'],
        resources: [secret(`${credentials}*`)],
      }),
      // `provisioner access grant|revoke`: the consumer list is the credential's resource policy; the change is announced.
      new iam.PolicyStatement({
        sid: 'ChangeConsumers',
        actions: ['secretsmanager:GetResourcePolicy', 'secretsmanager:PutResourcePolicy'],
        resources: [secret(`${credentials}*`)],
      }),
      new iam.PolicyStatement({
        sid: 'AnnounceAccessChanges',
        actions: ['events:PutEvents'],
        resources: [defaultBus],
      }),
      new iam.PolicyStatement({
        sid: 'KeyThroughSecretsManager',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [props.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
      }),
    ];
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      managedPolicyName: names.operatorPolicy,
      description: 'Runs the credential provisioner CLI: workflows, operator tasks, targets',
      statements,
    });
    const logicalIds = props.workflows.map((m) =>
      Stack.of(this).resolve((m.node.defaultChild as sfn.CfnStateMachine).logicalId),
    );
    Validations.of(this.policy).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ListSecrets and ListStateMachines support no resource-level permissions',
      },
      ...[targets, credentials].map((prefix) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${prefix}*]`,
        reason: `Secret names are not known at deploy time; access is confined to the ${prefix} prefix`,
      })),
      ...logicalIds.map((logicalId) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalId}"}]}]}:*]`,
        reason: 'Following the executions of this one workflow, whose names are known only at run time',
      })),
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${props.rotationSchedules.groupName}/*]`,
        reason: 'One schedule per credential, named at run time; confined to the provisioner schedule group',
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${props.rotationSchedules.groupName}/rotate-targets_*]`,
        reason: "A target's removal deletes its admin rotation schedules, named at run time after the target",
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${props.rotationSchedules.groupName}/hold-*]`,
        reason:
          'A transfer deletes the hold-end schedule of each held credential it moves, named at run time',
      },
    );
  }
}
