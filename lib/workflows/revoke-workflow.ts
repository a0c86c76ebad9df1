import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { ENV, LISTING_LAG_SECONDS } from '#core/config.ts';
import { STILL_VALID_ERROR_NAME, UNPROVEN_ERROR_NAME } from '#core/errors.ts';
import { MAX_LISTINGS_PER_REVOCATION } from '#core/workflows/revoke.ts';
import type { RotationSchedules } from '../triggers/rotation-schedules.ts';
import { RETRYABLE, Workflow, type WorkflowProps } from './workflow-base.ts';

/** Credentials revoked side by side; bounded so one owner's offboarding cannot flood a product. */
const REVOKE_CONCURRENCY = 5;

export interface RevokeWorkflowProps extends WorkflowProps {
  /** Where a retired credential's rotation schedule is deleted, and a held one's hold-end schedule made. */
  readonly rotationSchedules?: RotationSchedules;
}

/**
 * Revoke (docs/architecture.md): find every credential of the owner by its tags, then for each,
 * with bounded concurrency: revoke at the product (an operator task where the product has no API),
 * prove the old credential is refused, retire its secret. A credential that fails, or whose
 * product never plainly refuses it (revocation unproven), is reported, never skipped silently:
 * the execution then fails with the per-credential report, and an alarm watches for failed
 * executions.
 */
export class RevokeWorkflow extends Workflow {
  readonly stateMachine: sfn.StateMachine;
  readonly failedAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: RevokeWorkflowProps) {
    super(scope, id, props, 'revoke');
    const find = this.entryStep('FindOwnerCredentials', 'find-owner-credentials');
    find.fn.grantListSecrets();
    // The offboarding decision: a person's credential's target policy and consumers (its resource
    // policy), its hold tagged and announced, and the teams told which credentials they keep.
    find.fn.grantReadTargetDefinitions();
    find.fn.grantCredentialSecrets('TagResource', 'GetResourcePolicy');
    find.fn.grantPutEvents();
    // A held credential's revocation at its hold's end; by name, as the report's continuation.
    props.rotationSchedules?.grantHoldEnds(find.fn, this.stateMachineArnByName);
    props.rotationSchedules?.startsRevocations(this.stateMachineArnByName);

    const atProduct = this.step('RevokeAtProduct', 'revoke-at-product', {
      resultSelector: { 'needsOperator.$': '$.Payload.needsOperator' },
      resultPath: '$.revoked',
    });
    atProduct.fn.grantReadTargets();
    atProduct.fn.grantCredentialSecrets('GetSecretValue', 'TagResource');
    atProduct.fn.grantKey('kms:Decrypt');

    const operator = this.operatorTask(
      'RequestOperatorRevocation',
      'request-operator-revocation',
      'item',
      '$.operator',
    );
    operator.fn.grantCredentialSecrets('GetSecretValue');

    const prove = this.step('ProveRevoked', 'prove-revoked', { resultPath: sfn.JsonPath.DISCARD });
    prove.fn.grantReadTargets();
    prove.fn.grantCredentialSecrets('GetSecretValue');
    prove.fn.grantKey('kms:Decrypt');
    // The product may take a moment to forget a credential; an inconclusive answer gets the same
    // chances to turn into a refusal, then the report names the credential "revocation unproven".
    for (const error of [STILL_VALID_ERROR_NAME, UNPROVEN_ERROR_NAME]) this.retryWhile(prove, error, 4);

    const retire = this.step('RetireCredential', 'retire-credential', { outputPath: '$.Payload' });
    // No TagResource: the DeleteSecret is what makes a credential revoked (credentialStatus).
    retire.fn.grantCredentialSecrets('DeleteSecret', 'DescribeSecret', 'UpdateSecretVersionStage');
    retire.fn.grantPutEvents();
    props.rotationSchedules?.grant(retire.fn, 'scheduler:DeleteSchedule');

    const notRevoked = this.notRevokedResult();
    this.retryThenCatch([atProduct, operator, prove, retire], notRevoked);
    operator.task.next(prove.task);

    const revokeEach = new sfn.Map(this, 'RevokeEach', {
      itemsPath: '$.credentials',
      maxConcurrency: REVOKE_CONCURRENCY,
      itemSelector: {
        'owner.$': '$.owner',
        'reason.$': '$.reason',
        'requestId.$': '$.requestId',
        'credential.$': '$$.Map.Item.Value',
      },
      resultPath: '$.results',
    }).itemProcessor(
      atProduct.task.next(
        new sfn.Choice(this, 'NeedsOperator')
          .when(sfn.Condition.booleanEquals('$.revoked.needsOperator', true), operator.task)
          .otherwise(prove.task.next(retire.task)),
      ),
    );

    const report = this.step('ReportRevocation', 'report-revocation', {
      payload: sfn.TaskInput.fromObject({
        owner: sfn.JsonPath.stringAt('$.owner'),
        requestId: sfn.JsonPath.stringAt('$.requestId'),
        results: sfn.JsonPath.listAt('$.results'),
        request: sfn.JsonPath.objectAt('$$.Execution.Input'),
        continueAfter: sfn.JsonPath.stringAt('$.continueAfter'),
        held: sfn.JsonPath.listAt('$.held'),
        keptByTeams: sfn.JsonPath.listAt('$.keptByTeams'),
      }),
      outputPath: '$.Payload',
    });
    report.fn.grantPutEvents();
    // An owner with more credentials than one execution revokes: the report starts the continuation.
    // By name: a reference to the state machine would be a dependency cycle (it invokes this function).
    report.fn.function.addEnvironment(ENV.revokeStateMachineArn, this.stateMachineArnByName);
    report.fn.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [this.stateMachineArnByName],
      }),
    );
    report.task.addRetry(RETRYABLE);

    const waitOutListingLag = new sfn.Wait(this, 'WaitOutListingLag', {
      time: sfn.WaitTime.duration(Duration.seconds(LISTING_LAG_SECONDS)),
    });
    const sweep = this.step('SweepOwnerCredentials', 'sweep-owner-credentials', { outputPath: '$.Payload' });
    sweep.fn.grantListSecrets();
    sweep.fn.grantReadTargetDefinitions();
    sweep.fn.grantCredentialSecrets('TagResource', 'GetResourcePolicy');
    sweep.fn.grantPutEvents();
    props.rotationSchedules?.grantHoldEnds(sweep.fn, this.stateMachineArnByName);
    sweep.task.addRetry(RETRYABLE);
    const foundMore = new sfn.Choice(this, 'FoundMoreCredentials')
      .when(sfn.Condition.isPresent('$.credentials[0]'), revokeEach)
      .otherwise(report.task);
    // A continued revocation sweeps once, in its last execution: the others hand on to the next.
    const continues = new sfn.Choice(this, 'ContinuesInNextExecution')
      .when(sfn.Condition.isString('$.continueAfter'), report.task)
      .otherwise(waitOutListingLag.next(sweep.task).next(foundMore));

    // Plans from the same listing; writes and publishes nothing.
    const plan = this.entryStep('PlanRevocation', 'plan-revocation');
    plan.fn.grantListSecrets();
    plan.fn.grantReadTargets();
    plan.fn.grantCredentialSecrets('DescribeSecret', 'GetResourcePolicy');

    this.stateMachine = this.createStateMachine(
      this.planOr(plan, find.task.next(revokeEach).next(continues)),
      // Each pass may wait for operator tasks.
      Duration.minutes(this.operatorTimeout.toMinutes() * MAX_LISTINGS_PER_REVOCATION).plus(
        Duration.hours(1),
      ),
    );

    this.failedAlarm = new cloudwatch.Alarm(this, 'RevocationFailedAlarm', {
      alarmDescription: 'A revocation left credentials of an owner not revoked: read the execution’s report',
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /**
   * A credential's Map result when a step failed: which credential, the error and why, nothing more.
   * A Lambda error's Cause is the runtime's whole error document, stack trace included (about 1.5 KB
   * from a Node.js handler): kept whole, 500 of them pass the 256 KiB a state may output and the
   * execution fails with States.DataLimitExceeded before any report. Its errorMessage is the why.
   */
  private notRevokedResult(): sfn.IChainable {
    const result = (cause: Record<string, string>) => ({
      'secretName.$': '$.credential.secretName',
      status: 'failed',
      'error.$': '$.error.Error',
      ...cause,
    });
    const lambdaError = new sfn.Pass(this, 'LambdaErrorDocument', {
      parameters: { 'document.$': 'States.StringToJson($.error.Cause)' },
      resultPath: '$.failure',
    }).next(
      new sfn.Pass(this, 'CredentialNotRevoked', {
        parameters: result({ 'cause.$': '$.failure.document.errorMessage' }),
      }),
    );
    return new sfn.Choice(this, 'WhyNotRevoked')
      .when(
        sfn.Condition.and(
          sfn.Condition.isPresent('$.error.Cause'),
          sfn.Condition.stringMatches('$.error.Cause', '{"errorType":*'),
        ),
        lambdaError,
      )
      .when(
        sfn.Condition.isPresent('$.error.Cause'),
        new sfn.Pass(this, 'CredentialNotRevokedByStepFunctions', {
          parameters: result({ 'cause.$': '$.error.Cause' }),
        }),
      )
      .otherwise(new sfn.Pass(this, 'CredentialNotRevokedWithoutCause', { parameters: result({}) }));
  }
}
