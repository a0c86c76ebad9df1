import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { NOT_YET_VALID_ERROR_NAME, STILL_VALID_ERROR_NAME, UNPROVEN_ERROR_NAME } from '#core/errors.ts';
import { MAX_GRACE_PERIOD_MINUTES, MAX_NOTICE_MINUTES } from '#core/rotation-timing.ts';
import { ACCESS_TOKEN_WRITES, type ProvisionerFunction } from '../provisioner-function.ts';
import { RETRYABLE, Workflow, type WorkflowProps } from './workflow-base.ts';

/** The longest a rotation waits before it starts: a day's notice, then a weekly window (rotation-timing.ts). */
const LONGEST_START = Duration.minutes(MAX_NOTICE_MINUTES).plus(Duration.days(8));

/**
 * Rotate (docs/architecture.md): a notice, a wait until the credential's window, then a new credential -> AWSPENDING -> verify -> AWSCURRENT -> grace
 * period -> the old one retired and proven refused. Twin-user products get the new key on the idle
 * twin; operator products get it from a person (a callback task), who later removes the old one if
 * the product still accepts it. Any failure compensates: before promotion the current credential is
 * untouched; after it, the failure is reported.
 */
export class RotateWorkflow extends Workflow {
  readonly stateMachine: sfn.StateMachine;
  /** FinalizeRotation's function: it moves the one-time schedule of an expiring credential (the stack grants it). */
  readonly finalizeFunction: ProvisionerFunction;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id, props, 'rotate');
    const schedule = this.entryStep('ScheduleRotation', 'schedule-rotation');
    schedule.fn.grantReadTargets();
    schedule.fn.grantCredentialSecrets('DescribeSecret');
    schedule.fn.grantPutEvents();
    const awaitStart = new sfn.Wait(this, 'AwaitRotationStart', {
      time: sfn.WaitTime.timestampPath('$.startAt'),
    });

    const validate = this.step('ValidateRotation', 'validate-rotation', {
      payload: sfn.TaskInput.fromObject({
        'request.$': '$.request',
        'executionName.$': '$.executionName',
      }),
      outputPath: '$.Payload',
    });
    validate.fn.grantReadTargets();
    validate.fn.grantCredentialSecrets('DescribeSecret', 'GetSecretValue');
    validate.fn.grantKey('kms:Decrypt');

    const twin = this.step('EnsureTwinUser', 'ensure-twin-user', {
      resultSelector: { 'createdByThisRequest.$': '$.Payload.createdByThisRequest' },
      resultPath: '$.twin',
    });
    twin.fn.grantReadTargets();
    // It re-reads the credential's status: a revocation may have run meanwhile.
    twin.fn.grantCredentialSecrets('DescribeSecret');

    const issue = this.step('IssueTwinKey', 'issue-twin-key', {
      resultSelector: { 'versionId.$': '$.Payload.versionId' },
      resultPath: '$.pending',
    });
    issue.fn.grantReadTargets();
    issue.fn.grantCredentialSecrets('DescribeSecret', 'PutSecretValue');
    issue.fn.grantKey('kms:GenerateDataKey', 'kms:Decrypt');

    const requestNew = this.operatorTask(
      'RequestRotatedCredential',
      'request-rotated-credential',
      'state',
      '$.pending',
      { 'versionId.$': '$.versionId' },
    );
    requestNew.fn.grantListSecrets();

    const verify = this.step('VerifyPendingKey', 'verify-pending-key', { resultPath: sfn.JsonPath.DISCARD });
    verify.fn.grantReadTargets();
    verify.fn.grantCredentialSecrets('GetSecretValue', ...ACCESS_TOKEN_WRITES);
    verify.fn.grantKey('kms:Decrypt', 'kms:GenerateDataKey');
    this.retryWhile(verify, NOT_YET_VALID_ERROR_NAME, 4);

    const promote = this.step('PromotePendingKey', 'promote-pending-key', {
      resultPath: sfn.JsonPath.DISCARD,
    });
    promote.fn.grantCredentialSecrets('DescribeSecret', 'UpdateSecretVersionStage');

    const retire = this.step('RetirePreviousKey', 'retire-previous-key', {
      resultSelector: { 'needsOperator.$': '$.Payload.needsOperator' },
      resultPath: '$.retired',
    });
    const requestRetire = this.operatorTask(
      'RequestPreviousRevocation',
      'request-previous-revocation',
      'state',
      sfn.JsonPath.DISCARD,
    );
    requestRetire.fn.grantCredentialSecrets('GetSecretValue');
    const prove = this.step('ProvePreviousRevoked', 'prove-previous-revoked', {
      resultPath: sfn.JsonPath.DISCARD,
    });
    for (const step of [retire, prove]) {
      step.fn.grantReadTargets();
      step.fn.grantCredentialSecrets('GetSecretValue');
      step.fn.grantKey('kms:Decrypt');
      // Still accepted, or answered inconclusively (no proof of refusal): retried, then compensated.
      for (const error of [STILL_VALID_ERROR_NAME, UNPROVEN_ERROR_NAME]) this.retryWhile(step, error, 4);
    }

    const finalize = this.step('FinalizeRotation', 'finalize-rotation', { outputPath: '$.Payload' });
    // The current version's CreatedDate says when it rotated: no tag write needed. GetSecretValue:
    // the new expiry of a credential its product expires (ARM) is in its value.
    finalize.fn.grantCredentialSecrets('DescribeSecret', 'GetSecretValue');
    finalize.fn.grantReadTargets();
    finalize.fn.grantPutEvents();
    this.finalizeFunction = finalize.fn;

    const compensate = this.step('CompensateRotation', 'compensate-rotation', {
      resultPath: '$.compensation',
    });
    compensate.fn.grantReadTargets();
    compensate.fn.grantCredentialSecrets('DescribeSecret', 'UpdateSecretVersionStage');
    compensate.fn.grantTaskRecords('dynamodb:DeleteItem');
    compensate.fn.grantPutEvents();
    compensate.task.addRetry(RETRYABLE);
    compensate.task.next(
      new sfn.Fail(this, 'RotationFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
    );
    this.retryThenCatch(
      [twin, issue, requestNew, verify, promote, retire, requestRetire, prove, finalize],
      compensate.task,
    );

    issue.task.next(verify.task);
    // AcceptOperatorAnswer verified the handed-in credential and made it AWSCURRENT: nothing to verify.
    requestNew.task.next(promote.task);
    verify.task
      .next(promote.task)
      .next(new sfn.Wait(this, 'GracePeriod', { time: sfn.WaitTime.secondsPath('$.graceSeconds') }))
      .next(retire.task)
      .next(
        new sfn.Choice(this, 'PreviousNeedsOperator')
          .when(
            sfn.Condition.booleanEquals('$.retired.needsOperator', true),
            requestRetire.task.next(prove.task).next(finalize.task),
          )
          .otherwise(finalize.task),
      );
    // Plans from ValidateRotation's reads; writes and publishes nothing.
    const plan = this.entryStep('PlanRotation', 'plan-rotation');
    plan.fn.grantReadTargets();
    plan.fn.grantCredentialSecrets('DescribeSecret', 'GetSecretValue');
    plan.fn.grantKey('kms:Decrypt');

    this.stateMachine = this.createStateMachine(
      this.planOr(
        plan,
        schedule.task
          .next(awaitStart)
          .next(validate.task)
          .next(
            new sfn.Choice(this, 'IssuedBy')
              .when(sfn.Condition.stringEquals('$.issuance', 'operator'), requestNew.task)
              .otherwise(twin.task.next(issue.task)),
          ),
      ),
      // The longest wait to start and grace period; two operator tasks may each take their full time.
      LONGEST_START.plus(Duration.minutes(MAX_GRACE_PERIOD_MINUTES))
        .plus(this.operatorTimeout)
        .plus(this.operatorTimeout)
        .plus(Duration.hours(1)),
    );
  }
}
