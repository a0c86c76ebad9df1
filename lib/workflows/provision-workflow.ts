import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { NOT_YET_VALID_ERROR_NAME } from '#core/errors.ts';
import type { RotationSchedules } from '../triggers/rotation-schedules.ts';
import { RETRYABLE, Workflow, type WorkflowProps } from './workflow-base.ts';

export interface ProvisionWorkflowProps extends WorkflowProps {
  /** Where a provisioned credential gets its rotation schedule. */
  readonly rotationSchedules?: RotationSchedules;
}

/**
 * Provision (docs/architecture.md): validate -> access profile -> API user -> key into Secrets Manager
 * -> verify -> finalize; any failure after validation compensates, then fails with the original error.
 * Products that issue credentials only in their UI take the operator branch instead of the three
 * API steps: a callback task an operator answers with `provisioner submit`.
 */
export class ProvisionWorkflow extends Workflow {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: ProvisionWorkflowProps) {
    super(scope, id, props, 'provision');
    const validate = this.entryStep('ValidateRequest', 'validate-request');
    validate.fn.grantReadTargets();
    validate.fn.grantCredentialSecrets('DescribeSecret');

    const ensured = { 'createdByThisRequest.$': '$.Payload.createdByThisRequest' };
    const profile = this.step('EnsureAccessProfile', 'ensure-access-profile', {
      resultSelector: ensured,
      resultPath: '$.accessProfile',
    });
    profile.fn.grantReadTargets();

    const user = this.step('CreateApiUser', 'create-api-user', {
      resultSelector: ensured,
      resultPath: '$.apiUser',
    });
    user.fn.grantReadTargets();

    const issue = this.step('IssueKeyAndStore', 'issue-key-and-store', {
      resultSelector: {
        'secretArn.$': '$.Payload.secretArn',
        'versionId.$': '$.Payload.versionId',
      },
      resultPath: '$.credential',
    });
    issue.fn.grantReadTargets();
    // A reused revoked secret is retagged for this request and loses the earlier request's tags.
    issue.fn.grantCredentialSecrets(
      'CreateSecret',
      'PutSecretValue',
      'DescribeSecret',
      'TagResource',
      'UntagResource',
      // Only the consumers and the stack read it (lambdas/core/consumer-access.ts).
      'PutResourcePolicy',
    );
    issue.fn.grantKey('kms:GenerateDataKey', 'kms:Decrypt');

    // The operator's answer ({secretArn, versionId}) becomes the credential.
    const operator = this.operatorTask(
      'RequestOperatorCredential',
      'request-operator-credential',
      'state',
      '$.credential',
    );
    // The key-limit check counts the product user's other keys by their tags before anyone is asked.
    operator.fn.grantListSecrets();
    operator.fn.grantCredentialSecrets('PutResourcePolicy');

    const verify = this.step('VerifyCredential', 'verify-credential', { resultPath: sfn.JsonPath.DISCARD });
    verify.fn.grantReadTargets();
    // Token-broker products: the bearer token the check minted is kept in its own secret.
    verify.fn.grantCredentialSecrets(
      'GetSecretValue',
      'DescribeSecret',
      'CreateSecret',
      'PutSecretValue',
      'TagResource',
      // The token gets the credential's consumer policy.
      'GetResourcePolicy',
      'PutResourcePolicy',
    );
    verify.fn.grantKey('kms:Decrypt', 'kms:GenerateDataKey');
    // The product may take a moment to accept a fresh key.
    this.retryWhile(verify, NOT_YET_VALID_ERROR_NAME, 4);

    const finalize = this.step('FinalizeCredential', 'finalize-credential', { outputPath: '$.Payload' });
    finalize.fn.grantCredentialSecrets('DescribeSecret', 'TagResource', 'UpdateSecretVersionStage');
    finalize.fn.grantPutEvents();
    finalize.fn.grantReadTargets();
    props.rotationSchedules?.grant(finalize.fn, 'scheduler:CreateSchedule');

    const compensate = this.step('CompensateProvision', 'compensate-provision', {
      resultPath: '$.compensation',
    });
    compensate.fn.grantReadTargets();
    compensate.fn.grantCredentialSecrets(
      'DescribeSecret',
      'GetSecretValue',
      'UpdateSecretVersionStage',
      'DeleteSecret',
      // A reused secret goes back to `revoked`.
      'TagResource',
    );
    compensate.fn.grantKey('kms:Decrypt');
    compensate.fn.grantTaskRecords('DeleteSecret');
    compensate.fn.grantPutEvents();
    compensate.task.addRetry(RETRYABLE);
    compensate.task.next(
      new sfn.Fail(this, 'ProvisionFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
    );

    // A rejected request (ValidateRequest) fails at once: nothing exists yet to compensate.
    this.retryThenCatch([profile, user, issue, operator, verify, finalize], compensate.task);
    // Both ways of obtaining a credential meet at VerifyCredential.
    operator.task.next(verify.task);

    this.stateMachine = this.createStateMachine(
      validate.task.next(
        new sfn.Choice(this, 'IssuedBy')
          .when(sfn.Condition.stringEquals('$.issuance', 'operator'), operator.task)
          .otherwise(profile.task.next(user.task).next(issue.task).next(verify.task).next(finalize.task)),
      ),
      // Bounded, yet long enough for an operator task to run to its own deadline.
      this.operatorTimeout.plus(Duration.hours(1)),
    );
  }
}
