import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { DEFAULT_STACK_NAME } from '#core/names.ts';
import { checkStackName, deploymentSettings } from './deployment-settings.ts';
import { ProvisionerNetwork } from './network.ts';
import { stackNames } from './stack-names.ts';
import { DeactivationRules } from './triggers/deactivation-rules.ts';
import { IntakeEndpoint } from './triggers/intake-endpoint.ts';
import { RotationSchedules } from './triggers/rotation-schedules.ts';
import { ProvisionWorkflow } from './workflows/provision-workflow.ts';
import { ReconcileWorkflow } from './workflows/reconcile-workflow.ts';
import { RefreshWorkflow } from './workflows/refresh-workflow.ts';
import { RevokeWorkflow } from './workflows/revoke-workflow.ts';
import { RotateWorkflow } from './workflows/rotate-workflow.ts';

export const STACK_NAME = DEFAULT_STACK_NAME;

/** The credential provisioner: its key, its workflows and the outputs the CLI needs. */
export class ProvisionerStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    checkStackName(this.stackName, 'stack name');
    const settings = deploymentSettings(this.node);
    if (settings.network.kind !== 'none') new ProvisionerNetwork(this, settings.network);

    // Retained: destroying the stack must not make every stored credential undecryptable.
    const key = new kms.Key(this, 'SecretsKey', {
      alias: stackNames(this).kmsAlias,
      description: `Encrypts every secret of the credential provisioner stack ${this.stackName}`,
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
    new ReconcileWorkflow(this, 'ReconcileWorkflow', {
      key,
      provision: provision.stateMachine,
      rotate: rotate.stateMachine,
    });
    new IntakeEndpoint(this, 'Intake', {
      key,
      provision: provision.stateMachine,
      revoke: revoke.stateMachine,
      kind: settings.intake,
      reservedConcurrency: settings.intakeReservedConcurrency,
    });

    new CfnOutput(this, 'ProvisionStateMachineArn', { value: provision.stateMachine.stateMachineArn });
    new CfnOutput(this, 'RevokeStateMachineArn', { value: revoke.stateMachine.stateMachineArn });
    new CfnOutput(this, 'RotateStateMachineArn', { value: rotate.stateMachine.stateMachineArn });
    new CfnOutput(this, 'RevocationFailedAlarmName', { value: revoke.failedAlarm.alarmName });
    new CfnOutput(this, 'KmsKeyArn', { value: key.keyArn });
  }
}
