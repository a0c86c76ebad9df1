import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { DEFAULT_STACK_NAME } from '#core/names.ts';
import { Alerts } from './alerts.ts';
import { checkStackName, deploymentSettings } from './deployment-settings.ts';
import { ProvisionerNetwork } from './network.ts';
import { OperatorAnswerFunction } from './operator-answer-function.ts';
import { OperatorPolicy } from './operator-policy.ts';
import { OperatorTaskTable } from './operator-task-table.ts';
import { stackNames } from './stack-names.ts';
import { DeactivationRules } from './triggers/deactivation-rules.ts';
import { DirectoryBus } from './triggers/directory-bus.ts';
import { IntakeEndpoint } from './triggers/intake-endpoint.ts';
import { RotationSchedules } from './triggers/rotation-schedules.ts';
import { AdminRotateWorkflow } from './workflows/admin-rotate-workflow.ts';
import { ProvisionWorkflow } from './workflows/provision-workflow.ts';
import { ReconcileWorkflow, reportMetric } from './workflows/reconcile-workflow.ts';
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
    const alerts = new Alerts(this, { email: settings.alertEmail });
    const eventBus = (id: string, name: string | undefined) =>
      name ? events.EventBus.fromEventBusName(this, id, name) : undefined;

    // Retained: destroying the stack must not make every stored credential undecryptable.
    const key = new kms.Key(this, 'SecretsKey', {
      alias: stackNames(this).kmsAlias,
      description: `Encrypts every secret of the credential provisioner stack ${this.stackName}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Whatever an IAM policy grants, the key decrypts only inside a Secrets Manager call, where the
    // secret's resource policy applies too, or a DynamoDB call on the operator task table, where the
    // table's grants apply (AWS KMS Developer Guide, "kms:ViaService":
    // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
    // ReEncrypt decrypts as well. The account root, the key's administrator, keeps direct use for recovery.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DecryptOnlyThroughSecretsManagerOrDynamoDB',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Decrypt', 'kms:ReEncrypt*'],
        resources: ['*'],
        conditions: {
          StringNotEquals: {
            'kms:ViaService': [
              `secretsmanager.${Aws.REGION}.amazonaws.com`,
              `dynamodb.${Aws.REGION}.amazonaws.com`,
            ],
          },
          ArnNotEquals: { 'aws:PrincipalArn': `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root` },
        },
      }),
    );

    // Before the workflows: their operator task steps are granted on it.
    new OperatorTaskTable(this, { key });
    const rotate = new RotateWorkflow(this, 'RotateWorkflow', { key });
    const adminRotate = new AdminRotateWorkflow(this, 'AdminRotateWorkflow', { key });
    const refresh = new RefreshWorkflow(this, 'RefreshWorkflow', { key });
    const rotationSchedules = new RotationSchedules(this, 'RotationSchedules', {
      rotate,
      refresh,
      adminRotate,
    });
    rotationSchedules.grant(rotate.finalizeFunction, 'scheduler:CreateSchedule');
    rotationSchedules.grant(rotate.finalizeFunction, 'scheduler:DeleteSchedule');
    rotationSchedules.grant(adminRotate.finalizeFunction, 'scheduler:CreateSchedule');
    // A target's admin schedules follow its policy's adminKeyMaxAgeDays (EnsureAdminSchedules replaces them).
    rotationSchedules.grant(adminRotate.finalizeFunction, 'scheduler:UpdateSchedule');
    const provision = new ProvisionWorkflow(this, 'ProvisionWorkflow', { key, rotationSchedules });
    const revoke = new RevokeWorkflow(this, 'RevokeWorkflow', { key, rotationSchedules });
    new DeactivationRules(this, 'DeactivationRules', {
      key,
      revoke: revoke.stateMachine,
      // The stack's own bus unless the deployment names one (`default`: the account's default bus).
      directoryBus:
        settings.directoryEventBus === undefined
          ? new DirectoryBus(this, 'Directory', { putters: settings.directoryEventPutters }).bus
          : settings.directoryEventBus === 'default'
            ? undefined
            : eventBus('DirectoryBus', settings.directoryEventBus),
      partnerBus: eventBus('PartnerBus', settings.partnerEventBus),
    });
    const reconcile = new ReconcileWorkflow(this, 'ReconcileWorkflow', {
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

    // Every failed, timed-out or aborted execution tells a person; a failed revocation and drift
    // already have their own alarms (a revocation failed or unproven ends the execution failed).
    alerts.notify(revoke.failedAlarm);
    alerts.notify(reconcile.driftAlarm);
    alerts.notify(reconcile.taskDeadlineAlarm);
    const workflows = {
      Provision: provision,
      Rotate: rotate,
      Refresh: refresh,
      Revoke: revoke,
      Reconcile: reconcile,
      AdminRotate: adminRotate,
    };
    for (const [name, { stateMachine }] of Object.entries(workflows)) {
      const outcomes = {
        Failed: stateMachine.metricFailed(),
        TimedOut: stateMachine.metricTimedOut(),
        Aborted: stateMachine.metricAborted(),
      };
      for (const [outcome, metric] of Object.entries(outcomes)) {
        if (name === 'Revoke' && outcome === 'Failed') continue;
        alerts.alarmAtOne(
          this,
          `${name}Executions${outcome}`,
          metric,
          `A ${name.toLowerCase()} execution ended ${outcome}: see its history in the Step Functions console`,
        );
      }
    }
    // Executions per day of every workflow: rotations, provisions, revocations and their failures.
    new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        Object.entries(workflows).map(
          ([name, { stateMachine }]) =>
            new cloudwatch.GraphWidget({
              title: `${name} executions per day`,
              width: 4,
              left: [
                stateMachine.metricSucceeded(),
                stateMachine.metricFailed(),
                stateMachine.metricTimedOut(),
              ].map((metric) => metric.with({ period: Duration.days(1), statistic: 'Sum' })),
            }),
        ),
        // What the daily reconciliation counts (lambdas/handlers/report-drift.ts).
        [
          new cloudwatch.GraphWidget({
            title: 'Credentials by product and status',
            width: 10,
            left: [
              new cloudwatch.MathExpression({
                expression:
                  "SEARCH('{CredentialProvisioner,product,service,status} MetricName=\"Credentials\"', 'Maximum', 86400)",
                label: '',
                period: Duration.days(1),
              }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Operator tasks waiting, and the oldest one’s age',
            width: 10,
            left: [reportMetric('OperatorTasksWaiting'), reportMetric('OperatorTasksNearDeadline')],
            right: [reportMetric('OperatorTaskOldestAge')],
          }),
          new cloudwatch.GraphWidget({
            title: 'Deactivation to the last credential proven refused (seconds)',
            width: 4,
            left: [reportMetric('DeactivationToLastRefusal')],
          }),
        ],
      ],
    });
    const field = (name: string) => events.EventField.fromPath(`$.detail.${name}`);
    alerts.relay(
      'ActionRequired',
      undefined,
      'credential.action-required',
      [
        `Operator task ${field('taskId')} (${field('action')}) for ticket ${field('ticket')}: ${field('summary')}`,
        `Target ${field('target')} (${field('vendor')}), API user ${field('apiUser')}, owner ${field('owner')}.`,
        `Acknowledge by ${field('acknowledgeBy')} with: provisioner ack --task ${field('taskId')}. Deadline ${field('deadline')}, then the workflow gives up.`,
        `When done: ${field('submit')}`,
      ].join(' '),
    );
    alerts.relay(
      'RotationFailed',
      undefined,
      'credential.rotation-failed',
      [
        // The reason says which key consumers now hold (untouched, or the new one already promoted).
        `Rotation of ${field('apiUser')} on ${field('target')} failed (owner ${field('owner')}, ticket ${field('ticket')}): ${field('error')}, ${field('reason')}.`,
        `Fix the cause, then run: provisioner rotate --target ${field('target')} --api-user ${field('apiUser')}`,
      ].join(' '),
    );

    alerts.relay(
      'TeamMemberLeft',
      undefined,
      'credential.team-member-left',
      [
        `Team ${field('team')} keeps the credentials ${field('member')} requested for it: ${field('credentials')}.`,
        `${field('member')} was revoked (${field('reason')}); these stay the team's. Name another accountable person if needed.`,
      ].join(' '),
    );
    alerts.relay(
      'OffboardingHeld',
      undefined,
      'credential.offboarding-held',
      [
        `The credential ${field('apiUser')} on ${field('target')} of ${field('owner')}, which others use, is held until ${field('heldUntil')} (${field('reason')}).`,
        `Its schedule revokes it at ${field('revokesAt')}; to keep it, move it before then: provisioner transfer --from ${field('owner')} --to NEW_OWNER`,
      ].join(' '),
    );
    alerts.relay(
      'RotationScheduled',
      undefined,
      'credential.rotation-scheduled',
      [
        `Rotation of ${field('apiUser')} on ${field('target')} (owner ${field('owner')}, ticket ${field('ticket')}) starts at ${field('startAt')};`,
        `the previous credential then stays valid for ${field('gracePeriodMinutes')} minutes. Execution ${field('requestId')}.`,
      ].join(' '),
    );

    // What `provisioner submit` hands a credential to: the operator invokes it, reads no token nor credential.
    const answers = new OperatorAnswerFunction(this, 'OperatorAnswers', { key });
    // The CLI's permissions (README, "Operators"): attach to the operators' role or permission set.
    const operator = new OperatorPolicy(this, 'Operator', {
      key,
      answerFunction: answers.fn.function,
      rotationSchedules,
      workflows: [provision, revoke, rotate, reconcile, adminRotate].map((w) => w.stateMachine),
      revokeWorkflow: revoke.stateMachine,
    });
    new CfnOutput(this, 'OperatorPolicyArn', { value: operator.policy.managedPolicyArn });

    new CfnOutput(this, 'ProvisionStateMachineArn', { value: provision.stateMachine.stateMachineArn });
    new CfnOutput(this, 'RevokeStateMachineArn', { value: revoke.stateMachine.stateMachineArn });
    new CfnOutput(this, 'RotateStateMachineArn', { value: rotate.stateMachine.stateMachineArn });
    new CfnOutput(this, 'AdminRotateStateMachineArn', { value: adminRotate.stateMachine.stateMachineArn });
    new CfnOutput(this, 'RevocationFailedAlarmName', { value: revoke.failedAlarm.alarmName });
    new CfnOutput(this, 'KmsKeyArn', { value: key.keyArn });
    new CfnOutput(this, 'AlertTopicArn', {
      value: alerts.topic.topicArn,
      description: 'Subscribe people or AWS Chatbot here',
    });
  }
}
