import { Aws, CfnOutput, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_ROTATION_RATE, DEFAULT_TOKEN_REFRESH_RATE, ENV } from '#core/config.ts';
import { Alerts } from '../alerts.ts';
import type { ProvisionerFunction } from '../provisioner-function.ts';
import { stackNames } from '../stack-names.ts';
import type { Workflow } from '../workflows/workflow-base.ts';

export interface RotationSchedulesProps {
  readonly rotate: Workflow;
  readonly refresh: Workflow;
  /** Rotates targets' own admin credentials, one schedule per target. */
  readonly adminRotate: Workflow;
  /** How often each twin-user credential rotates (an EventBridge Scheduler rate expression). */
  readonly rate?: string;
  /** How often brokered access tokens are refreshed: well inside their 1-hour life. */
  readonly tokenRefreshRate?: string;
}

/**
 * The Scheduler group that holds one schedule per credential (created at provision, deleted at
 * revoke), and the role Scheduler assumes to start the rotate and refresh workflows, nothing else.
 */
export class RotationSchedules extends Construct {
  readonly groupName: string;
  readonly role: iam.Role;
  private readonly deadLetters: sqs.Queue;
  private readonly rate: string;
  private readonly tokenRefreshRate: string;
  private readonly rotate: Workflow;
  private readonly refresh: Workflow;
  private readonly adminRotate: Workflow;

  constructor(scope: Construct, id: string, props: RotationSchedulesProps) {
    super(scope, id);
    this.groupName = stackNames(this).scheduleGroup;
    this.rate = props.rate ?? DEFAULT_ROTATION_RATE;
    this.tokenRefreshRate = props.tokenRefreshRate ?? DEFAULT_TOKEN_REFRESH_RATE;
    this.rotate = props.rotate;
    this.refresh = props.refresh;
    this.adminRotate = props.adminRotate;
    new CfnScheduleGroup(this, 'Group', { name: this.groupName });
    this.role = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'EventBridge Scheduler starts credential rotations',
    });
    this.deadLetters = Alerts.of(this).deadLetterQueue(
      this,
      'DeadLetters',
      'the rotation and refresh schedules',
    );
    this.deadLetters.grantSendMessages(this.role);
    props.rotate.stateMachine.grantStartExecution(this.role);
    props.refresh.stateMachine.grantStartExecution(this.role);
    props.adminRotate.stateMachine.grantStartExecution(this.role);
    new CfnOutput(this, 'RotationScheduleGroup', { value: this.groupName });
  }

  /** Lets a workflow function create, replace (update) or delete the schedules of this group, and nothing else. */
  grant(
    fn: ProvisionerFunction,
    action: 'scheduler:CreateSchedule' | 'scheduler:UpdateSchedule' | 'scheduler:DeleteSchedule',
  ): void {
    fn.function.addEnvironment(ENV.rotationScheduleGroup, this.groupName);
    fn.function.addEnvironment(ENV.rotateStateMachineArn, this.rotate.stateMachineArnByName);
    fn.function.addEnvironment(ENV.rotationSchedulerRoleArn, this.role.roleArn);
    fn.function.addEnvironment(ENV.rotationDeadLetterQueueArn, this.deadLetters.queueArn);
    fn.function.addEnvironment(ENV.rotationRate, this.rate);
    fn.function.addEnvironment(ENV.refreshStateMachineArn, this.refresh.stateMachineArnByName);
    fn.function.addEnvironment(ENV.tokenRefreshRate, this.tokenRefreshRate);
    fn.function.addEnvironment(ENV.adminRotateStateMachineArn, this.adminRotate.stateMachineArnByName);
    const schedules = `arn:${Aws.PARTITION}:scheduler:${Aws.REGION}:${Aws.ACCOUNT_ID}:schedule/${this.groupName}/*`;
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [action], resources: [schedules] }));
    // An update sends the target's role again, as a creation does (API_UpdateSchedule).
    if (action !== 'scheduler:DeleteSchedule') this.passRole(fn);
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.groupName}/*]`,
      reason: 'One schedule per credential, named at run time; confined to the provisioner schedule group',
    });
  }

  /**
   * Lets a revoke step create hold-end schedules (`hold-*`, lambdas/core/hold-ends.ts): one-time
   * schedules that start the revoke workflow, as this group's role, when a held credential's hold ends.
   */
  grantHoldEnds(fn: ProvisionerFunction, revokeStateMachineArn: string): void {
    fn.function.addEnvironment(ENV.rotationScheduleGroup, this.groupName);
    fn.function.addEnvironment(ENV.rotationSchedulerRoleArn, this.role.roleArn);
    fn.function.addEnvironment(ENV.rotationDeadLetterQueueArn, this.deadLetters.queueArn);
    fn.function.addEnvironment(ENV.revokeStateMachineArn, revokeStateMachineArn);
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['scheduler:CreateSchedule'],
        resources: [
          `arn:${Aws.PARTITION}:scheduler:${Aws.REGION}:${Aws.ACCOUNT_ID}:schedule/${this.groupName}/hold-*`,
        ],
      }),
    );
    this.passRole(fn);
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.groupName}/hold-*]`,
      reason:
        'One hold-end schedule per held credential, named at run time; confined to the group and hold-*',
    });
  }

  /** What Scheduler may start: the revocations at holds' ends (by name: the revoke workflow builds after this). */
  startsRevocations(revokeStateMachineArn: string): void {
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [revokeStateMachineArn] }),
    );
  }

  /** The schedule role, passed to Scheduler only. */
  private passRole(fn: ProvisionerFunction): void {
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
  }
}
