import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { NOT_YET_VALID_ERROR_NAME } from '#core/errors.ts';
import { ACCESS_TOKEN_WRITES } from '../provisioner-function.ts';
import type { RotationSchedules } from '../triggers/rotation-schedules.ts';
import { RETRYABLE, Workflow, type WorkflowProps, type WorkflowStep } from './workflow-base.ts';

const ensured = { 'createdByThisRequest.$': '$.Payload.createdByThisRequest' };

/** Each API step's input and output paths, the same wherever the step runs (alone, or per device of a fleet). */
const STEP_OPTIONS = {
  profile: { resultSelector: ensured, resultPath: '$.accessProfile' },
  user: { resultSelector: ensured, resultPath: '$.apiUser' },
  issue: {
    resultSelector: { 'secretArn.$': '$.Payload.secretArn', 'versionId.$': '$.Payload.versionId' },
    resultPath: '$.credential',
  },
  verify: { resultPath: sfn.JsonPath.DISCARD },
  finalize: { outputPath: '$.Payload' },
  compensate: { resultPath: '$.compensation' },
} as const;

/**
 * Devices of a fleet provisioned at once: each runs its own Lambda invocations against the one
 * manager, whose JSON-RPC 7.2.7 to 7.4.7 refuse overlapping token calls (products/fortimanager).
 */
const FLEET_CONCURRENCY = 4;

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

    const profile = this.step('EnsureAccessProfile', 'ensure-access-profile', STEP_OPTIONS.profile);
    profile.fn.grantReadTargets();

    const user = this.step('CreateApiUser', 'create-api-user', STEP_OPTIONS.user);
    user.fn.grantReadTargets();

    const issue = this.step('IssueKeyAndStore', 'issue-key-and-store', STEP_OPTIONS.issue);
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

    // The operator's answer ({secretArn, versionId}) becomes the credential: AcceptOperatorAnswer
    // verified it at the product and stored it as AWSCURRENT before answering.
    const operator = this.operatorTask(
      'RequestOperatorCredential',
      'request-operator-credential',
      'state',
      '$.credential',
    );
    // The key-limit check counts the product user's other keys by their tags before anyone is asked.
    operator.fn.grantListSecrets();
    operator.fn.grantCredentialSecrets('PutResourcePolicy');

    const verify = this.step('VerifyCredential', 'verify-credential', STEP_OPTIONS.verify);
    verify.fn.grantReadTargets();
    // Token-broker products: the bearer token the check minted is kept under its label in the credential.
    verify.fn.grantCredentialSecrets('GetSecretValue', ...ACCESS_TOKEN_WRITES);
    verify.fn.grantKey('kms:Decrypt', 'kms:GenerateDataKey');
    // The product may take a moment to accept a fresh key.
    this.retryWhile(verify, NOT_YET_VALID_ERROR_NAME, 4);

    const finalize = this.step('FinalizeCredential', 'finalize-credential', STEP_OPTIONS.finalize);
    // GetSecretValue: the expiry of a credential its product expires (ARM) is in its value.
    finalize.fn.grantCredentialSecrets(
      'DescribeSecret',
      'GetSecretValue',
      'TagResource',
      'UpdateSecretVersionStage',
    );
    finalize.fn.grantPutEvents();
    finalize.fn.grantReadTargets();
    props.rotationSchedules?.grant(finalize.fn, 'scheduler:CreateSchedule');

    const compensate = this.step('CompensateProvision', 'compensate-provision', STEP_OPTIONS.compensate);
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
    compensate.fn.grantTaskRecords('dynamodb:DeleteItem');
    compensate.fn.grantPutEvents();
    compensate.task.addRetry(RETRYABLE);
    compensate.task.next(
      new sfn.Fail(this, 'ProvisionFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
    );

    // A rejected request (ValidateRequest) fails at once: nothing exists yet to compensate.
    this.retryThenCatch([profile, user, issue, operator, verify, finalize], compensate.task);
    // Verified already (AcceptOperatorAnswer): an operator's credential goes on to be finalized.
    operator.task.next(finalize.task);

    const provisionEachDevice = this.fleetMap({ profile, user, issue, verify, finalize, compensate });

    this.stateMachine = this.createStateMachine(
      validate.task.next(
        new sfn.Choice(this, 'IssuedBy')
          .when(sfn.Condition.isPresent('$.fleet'), provisionEachDevice)
          .when(sfn.Condition.stringEquals('$.issuance', 'operator'), operator.task)
          .otherwise(profile.task.next(user.task).next(issue.task).next(verify.task).next(finalize.task)),
      ),
      // Bounded, yet long enough for an operator task to run to its own deadline.
      this.operatorTimeout.plus(Duration.hours(1)),
    );
  }

  /**
   * A fleet request (products/fortigate-fleet): one credential per device, each through the same
   * API steps (their functions, their retries) in a Map, FLEET_CONCURRENCY devices at a time. A
   * device that fails is compensated and reported; the others go on. The output is the per-device
   * report; each failure also published its own `credential.provision-failed`.
   */
  private fleetMap(steps: Record<keyof typeof STEP_OPTIONS, WorkflowStep>): sfn.Map {
    const again = (name: keyof typeof STEP_OPTIONS, stateName: string) =>
      this.stepAgain(stateName, steps[name], STEP_OPTIONS[name]);
    const profile = again('profile', 'DeviceEnsureAccessProfile');
    const user = again('user', 'DeviceCreateApiUser');
    const issue = again('issue', 'DeviceIssueKeyAndStore');
    const verify = again('verify', 'DeviceVerifyCredential');
    const finalize = again('finalize', 'DeviceFinalizeCredential');
    const compensate = again('compensate', 'DeviceCompensateProvision');
    this.retryWhile(verify, NOT_YET_VALID_ERROR_NAME, 4);
    const failed = (stateName: string, compensated: boolean) =>
      new sfn.Pass(this, stateName, {
        parameters: {
          'target.$': '$.request.target',
          'apiUser.$': '$.request.apiUser',
          'secretName.$': '$.secretName',
          outcome: 'failed',
          'error.$': '$.error.Error',
          'cause.$': '$.error.Cause',
          compensated,
        },
      });
    compensate.task.addRetry(RETRYABLE);
    // A device out of reach cannot be cleaned up either: reported as such, and the Map goes on.
    compensate.task.addCatch(failed('DeviceNotCompensated', false), {
      errors: [sfn.Errors.ALL],
      resultPath: '$.compensationError',
    });
    compensate.task.next(failed('DeviceNotProvisioned', true));
    this.retryThenCatch([profile, user, issue, verify, finalize], compensate.task);
    const provisioned = new sfn.Pass(this, 'DeviceProvisioned', {
      parameters: {
        'target.$': '$.target',
        'apiUser.$': '$.apiUser',
        'secretName.$': '$.secretName',
        outcome: 'provisioned',
      },
    });
    return new sfn.Map(this, 'ProvisionEachDevice', {
      itemsPath: '$.fleet.devices',
      maxConcurrency: FLEET_CONCURRENCY,
      resultSelector: { 'devices.$': '$' },
    }).itemProcessor(
      profile.task.next(user.task).next(issue.task).next(verify.task).next(finalize.task).next(provisioned),
    );
  }
}
