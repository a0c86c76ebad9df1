import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { KMS_KEY_ALIAS } from '#core/config.ts';
import { OperatorPolicy } from './operator-policy.ts';
import { DeactivationRules } from './triggers/deactivation-rules.ts';
import { IntakeEndpoint } from './triggers/intake-endpoint.ts';
import { RotationSchedules } from './triggers/rotation-schedules.ts';
import { ProvisionWorkflow } from './workflows/provision-workflow.ts';
import { ReconcileWorkflow } from './workflows/reconcile-workflow.ts';
import { RefreshWorkflow } from './workflows/refresh-workflow.ts';
import { RevokeWorkflow } from './workflows/revoke-workflow.ts';
import { RotateWorkflow } from './workflows/rotate-workflow.ts';

export const STACK_NAME = 'CredentialProvisioner';

/** The credential provisioner: its key, its workflows and the outputs the CLI needs. */
export class ProvisionerStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    // Retained: destroying the stack must not make every stored credential undecryptable.
    const key = new kms.Key(this, 'SecretsKey', {
      alias: KMS_KEY_ALIAS,
      description: 'Encrypts every provisioner/* secret of the credential provisioner',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const rotate = new RotateWorkflow(this, 'RotateWorkflow', { key });
    const refresh = new RefreshWorkflow(this, 'RefreshWorkflow', { key });
    const rotationSchedules = new RotationSchedules(this, 'RotationSchedules', { rotate, refresh });
    rotationSchedules.grant(rotate.finalizeFunction, 'scheduler:CreateSchedule');
    rotationSchedules.grant(rotate.finalizeFunction, 'scheduler:DeleteSchedule');
    const provision = new ProvisionWorkflow(this, 'ProvisionWorkflow', { key, rotationSchedules });
    const revoke = new RevokeWorkflow(this, 'RevokeWorkflow', { key, rotationSchedules });
    new DeactivationRules(this, 'DeactivationRules', { key, revoke: revoke.stateMachine });
    const reconcile = new ReconcileWorkflow(this, 'ReconcileWorkflow', {
      key,
      provision: provision.stateMachine,
      rotate: rotate.stateMachine,
    });
    new IntakeEndpoint(this, 'Intake', {
      key,
      provision: provision.stateMachine,
      revoke: revoke.stateMachine,
    });

    // The CLI's permissions (README, "Operators"): attach to the operators' role or permission set.
    const operator = new OperatorPolicy(this, 'Operator', {
      key,
      workflows: [provision, revoke, rotate, reconcile].map((w) => w.stateMachine),
    });

    new CfnOutput(this, 'OperatorPolicyArn', { value: operator.policy.managedPolicyArn });
    new CfnOutput(this, 'ProvisionStateMachineArn', { value: provision.stateMachine.stateMachineArn });
    new CfnOutput(this, 'RevokeStateMachineArn', { value: revoke.stateMachine.stateMachineArn });
    new CfnOutput(this, 'RotateStateMachineArn', { value: rotate.stateMachine.stateMachineArn });
    new CfnOutput(this, 'RevocationFailedAlarmName', { value: revoke.failedAlarm.alarmName });
    new CfnOutput(this, 'KmsKeyArn', { value: key.keyArn });
  }
}
