import { Aws, CfnOutput, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { ProvisionerFunction } from '../provisioner-function.ts';

export interface RotationSchedulesProps {
  readonly rotate: sfn.IStateMachine;
  /** How often each credential rotates (an EventBridge Scheduler rate expression). */
  readonly rate?: string;
}

/**
 * The Scheduler group that holds one rotation schedule per credential (created at provision,
 * deleted at revoke), and the role Scheduler assumes to start the rotate workflow, nothing else.
 */
export class RotationSchedules extends Construct {
  readonly groupName = 'credential-provisioner';
  readonly role: iam.Role;
  private readonly rate: string;
  private readonly rotate: sfn.IStateMachine;

  constructor(scope: Construct, id: string, props: RotationSchedulesProps) {
    super(scope, id);
    this.rate = props.rate ?? 'rate(30 days)';
    this.rotate = props.rotate;
    new CfnScheduleGroup(this, 'Group', { name: this.groupName });
    this.role = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'EventBridge Scheduler starts credential rotations',
    });
    props.rotate.grantStartExecution(this.role);
    new CfnOutput(this, 'RotationScheduleGroup', { value: this.groupName });
  }

  /** Lets a workflow function create or delete the schedules of this group, and nothing else. */
  grant(fn: ProvisionerFunction, action: 'scheduler:CreateSchedule' | 'scheduler:DeleteSchedule'): void {
    fn.function.addEnvironment('ROTATION_SCHEDULE_GROUP', this.groupName);
    fn.function.addEnvironment('ROTATE_STATE_MACHINE_ARN', this.rotate.stateMachineArn);
    fn.function.addEnvironment('ROTATION_SCHEDULER_ROLE_ARN', this.role.roleArn);
    fn.function.addEnvironment('ROTATION_RATE', this.rate);
    const schedules = `arn:${Aws.PARTITION}:scheduler:${Aws.REGION}:${Aws.ACCOUNT_ID}:schedule/${this.groupName}/*`;
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [action], resources: [schedules] }));
    if (action === 'scheduler:CreateSchedule') {
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [this.role.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        }),
      );
    }
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.groupName}/*]`,
      reason: 'One schedule per credential, named at run time; confined to the provisioner schedule group',
    });
  }
}
