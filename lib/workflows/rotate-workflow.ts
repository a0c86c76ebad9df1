import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { NOT_YET_VALID_ERROR_NAME, STILL_VALID_ERROR_NAME } from '#core/errors.ts';
import { RETRYABLE, Workflow, type WorkflowProps } from './workflow-base.ts';

export interface RotateWorkflowProps extends WorkflowProps {
  /** How long consumers have to re-read AWSCURRENT before the previous key dies (default 1 hour). */
  readonly gracePeriod?: Duration;
}

/**
 * Rotate, twin-user products (DESIGN.md section 2): key on the idle twin -> AWSPENDING -> verify ->
 * AWSCURRENT -> grace period -> old twin removed and its key proven refused. Any failure compensates:
 * before promotion the current key is untouched; after it, the failure is reported.
 */
export class RotateWorkflow extends Workflow {
  constructor(scope: Construct, id: string, props: RotateWorkflowProps) {
    super(scope, id, props, 'rotate');
  }

  protected define() {
    const grace = (this.props as RotateWorkflowProps).gracePeriod ?? Duration.hours(1);
    const validate = this.entryStep('ValidateRotation', 'validate-rotation');
    validate.fn.grantReadTargets();
    validate.fn.grantCredentialSecrets('DescribeSecret', 'GetSecretValue');
    validate.fn.grantKey('kms:Decrypt');

    const twin = this.step('EnsureTwinUser', 'ensure-twin-user', {
      resultSelector: { 'createdByThisRequest.$': '$.Payload.createdByThisRequest' },
      resultPath: '$.twin',
    });
    twin.fn.grantReadTargets();

    const issue = this.step('IssueTwinKey', 'issue-twin-key', {
      resultSelector: { 'versionId.$': '$.Payload.versionId' },
      resultPath: '$.pending',
    });
    issue.fn.grantReadTargets();
    issue.fn.grantCredentialSecrets('DescribeSecret', 'PutSecretValue');
    issue.fn.grantKey('kms:GenerateDataKey', 'kms:Decrypt');

    const verify = this.step('VerifyPendingKey', 'verify-pending-key', { resultPath: sfn.JsonPath.DISCARD });
    verify.fn.grantReadTargets();
    verify.fn.grantCredentialSecrets('GetSecretValue');
    verify.fn.grantKey('kms:Decrypt');
    this.retryWhile(verify, NOT_YET_VALID_ERROR_NAME, Duration.seconds(2), 5);

    const promote = this.step('PromotePendingKey', 'promote-pending-key', {
      resultPath: sfn.JsonPath.DISCARD,
    });
    promote.fn.grantCredentialSecrets('DescribeSecret', 'UpdateSecretVersionStage');

    const retire = this.step('RetirePreviousKey', 'retire-previous-key', {
      resultPath: sfn.JsonPath.DISCARD,
    });
    retire.fn.grantReadTargets();
    retire.fn.grantCredentialSecrets('GetSecretValue');
    retire.fn.grantKey('kms:Decrypt');
    this.retryWhile(retire, STILL_VALID_ERROR_NAME, Duration.seconds(5), 4);

    const finalize = this.step('FinalizeRotation', 'finalize-rotation', { outputPath: '$.Payload' });
    finalize.fn.grantCredentialSecrets('DescribeSecret', 'TagResource');
    finalize.fn.grantPutEvents();

    const compensate = this.step('CompensateRotation', 'compensate-rotation', {
      resultPath: '$.compensation',
    });
    compensate.fn.grantReadTargets();
    compensate.fn.grantCredentialSecrets('DescribeSecret', 'UpdateSecretVersionStage');
    compensate.fn.grantPutEvents();
    compensate.task.addRetry(RETRYABLE);
    compensate.task.next(
      new sfn.Fail(this, 'RotationFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
    );
    for (const { task } of [twin, issue, verify, promote, retire, finalize]) {
      task.addRetry(RETRYABLE);
      task.addCatch(compensate.task, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    }

    return {
      definition: validate.task
        .next(twin.task)
        .next(issue.task)
        .next(verify.task)
        .next(promote.task)
        .next(new sfn.Wait(this, 'GracePeriod', { time: sfn.WaitTime.duration(grace) }))
        .next(retire.task)
        .next(finalize.task),
      timeout: grace.plus(Duration.hours(1)),
    };
  }
}
