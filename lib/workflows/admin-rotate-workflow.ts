import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { NOT_YET_VALID_ERROR_NAME, STILL_VALID_ERROR_NAME, UNPROVEN_ERROR_NAME } from '#core/errors.ts';
import type { ProvisionerFunction } from '../provisioner-function.ts';
import { RETRYABLE, Workflow, type WorkflowProps } from './workflow-base.ts';

/**
 * Admin rotate (docs/architecture.md): a target's own admin credential, with twin admin users: a
 * key on the twin admin -> the target secret's AWSPENDING -> verified by an admin read ->
 * AWSCURRENT -> a short wait -> the old admin user deleted and proven gone through the admin API.
 * Any failure compensates: before the promotion the current admin credential is untouched.
 * With `"schedulesOnly": true` (`provisioner target add`) it only creates the target's schedules.
 */
export class AdminRotateWorkflow extends Workflow {
  readonly stateMachine: sfn.StateMachine;
  /** FinalizeAdminRotation's function: it creates the target's rotation schedules (the stack grants it). */
  readonly finalizeFunction: ProvisionerFunction;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id, props, 'admin-rotate');
    const validate = this.entryStep('ValidateAdminRotation', 'validate-admin-rotation');
    validate.fn.grantReadTargets();
    validate.fn.grantTargetSecrets('DescribeSecret');

    const issue = this.step('IssueAdminKey', 'issue-admin-key', {
      resultSelector: { 'versionId.$': '$.Payload.versionId' },
      resultPath: '$.pending',
    });
    issue.fn.grantReadTargets();
    issue.fn.grantTargetSecrets('DescribeSecret', 'PutSecretValue');
    issue.fn.grantKey('kms:GenerateDataKey', 'kms:Decrypt');

    const verify = this.step('VerifyAdminKey', 'verify-admin-key', { resultPath: sfn.JsonPath.DISCARD });
    verify.fn.grantReadTargets();
    // Each attempt may be a refused login: the key-check spacing keeps FortiOS's lockout away.
    this.retryWhile(verify, NOT_YET_VALID_ERROR_NAME, 4);

    const promote = this.step('PromoteAdminKey', 'promote-admin-key', { resultPath: sfn.JsonPath.DISCARD });
    promote.fn.grantTargetSecrets('DescribeSecret', 'UpdateSecretVersionStage');

    const retire = this.step('RetireAdminKey', 'retire-admin-key', { resultPath: sfn.JsonPath.DISCARD });
    retire.fn.grantReadTargets();
    for (const error of [STILL_VALID_ERROR_NAME, UNPROVEN_ERROR_NAME]) this.retryWhile(retire, error, 4);

    const finalize = this.step('FinalizeAdminRotation', 'finalize-admin-rotation', {
      outputPath: '$.Payload',
    });
    finalize.fn.grantPutEvents();
    finalize.fn.grantReadTargets();
    this.finalizeFunction = finalize.fn;
    // The same function, alone: the schedules of a target just added, before any rotation.
    const schedules = this.stepAgain('EnsureAdminSchedules', finalize, {
      payload: sfn.TaskInput.fromObject({ request: sfn.JsonPath.entirePayload }),
      outputPath: '$.Payload',
    });
    schedules.task.addRetry(RETRYABLE);

    const compensate = this.step('CompensateAdminRotation', 'compensate-admin-rotation', {
      resultPath: '$.compensation',
    });
    compensate.fn.grantReadTargets();
    compensate.fn.grantTargetSecrets('DescribeSecret', 'UpdateSecretVersionStage');
    compensate.fn.grantPutEvents();
    compensate.task.addRetry(RETRYABLE);
    compensate.task.next(
      new sfn.Fail(this, 'AdminRotationFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
    );
    this.retryThenCatch([issue, verify, promote, retire, finalize], compensate.task);

    // Longer than a function's 30 s timeout: no step that read the old admin token still runs when it dies.
    const drain = new sfn.Wait(this, 'InFlightStepsDrain', {
      time: sfn.WaitTime.duration(Duration.minutes(2)),
    });
    const schedulesOnly = sfn.Condition.and(
      sfn.Condition.isPresent('$.schedulesOnly'),
      sfn.Condition.booleanEquals('$.schedulesOnly', true),
    );
    this.stateMachine = this.createStateMachine(
      new sfn.Choice(this, 'SchedulesOnly')
        .when(schedulesOnly, schedules.task)
        .otherwise(
          validate.task
            .next(issue.task)
            .next(verify.task)
            .next(promote.task)
            .next(drain)
            .next(retire.task)
            .next(finalize.task),
        ),
      Duration.hours(1),
    );
  }
}
