import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { ENV, LISTING_LAG_SECONDS } from '#core/config.ts';
import { STILL_VALID_ERROR_NAME, UNPROVEN_ERROR_NAME } from '#core/errors.ts';
import { MAX_LISTINGS_PER_REVOCATION } from '#core/workflows/revoke.ts';
import type { RotationSchedules } from '../triggers/rotation-schedules.ts';
import { RETRYABLE, Workflow, type WorkflowProps, type WorkflowStep } from './workflow-base.ts';

/**
 * RevokeByLane's lanes, each a Map over `$.credentials.<lane>` (FindOwnerCredentials splits them).
 * The API-revocable credentials are revoked 5 at a time, so one owner's offboarding cannot flood a
 * product. Those a person revokes open their tasks at once: 40 is the most an inline Map runs at
 * once ("In this mode, the Map state supports up to 40 concurrent iterations",
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html); each makes at most
 * one product call before its task (a brokered token's revocation). The second lane's states carry
 * a suffix: state names are unique across a definition, Map bodies included.
 */
const LANES = {
  byApi: { suffix: '', maxConcurrency: 5 },
  byOperator: { suffix: 'InOperatorLane', maxConcurrency: 40 },
} as const;
type Lane = keyof typeof LANES;
type LaneSteps = Record<'atProduct' | 'operator' | 'prove' | 'retire', WorkflowStep>;

/** Each step's options, the same in both lanes. */
const AT_PRODUCT = {
  resultSelector: { 'needsOperator.$': '$.Payload.needsOperator' },
  resultPath: '$.revoked',
};
const OPERATOR = ['item', '$.operator'] as const;
const PROVE = { resultPath: sfn.JsonPath.DISCARD };
const RETIRE = { outputPath: '$.Payload' };

export interface RevokeWorkflowProps extends WorkflowProps {
  /** Where a retired credential's rotation schedule is deleted, and a held one's hold-end schedule made. */
  readonly rotationSchedules?: RotationSchedules;
}

/**
 * Revoke (docs/architecture.md): find every credential of the owner by its tags, then for each, in
 * one of two lanes (LANES): revoke at the product (an operator task where the product has no API),
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

    const atProduct = this.step('RevokeAtProduct', 'revoke-at-product', AT_PRODUCT);
    atProduct.fn.grantReadTargets();
    atProduct.fn.grantCredentialSecrets('GetSecretValue', 'TagResource');
    atProduct.fn.grantKey('kms:Decrypt');

    const operator = this.operatorTask(
      'RequestOperatorRevocation',
      'request-operator-revocation',
      ...OPERATOR,
    );
    operator.fn.grantCredentialSecrets('GetSecretValue');

    const prove = this.step('ProveRevoked', 'prove-revoked', PROVE);
    prove.fn.grantReadTargets();
    prove.fn.grantCredentialSecrets('GetSecretValue');
    prove.fn.grantKey('kms:Decrypt');

    const retire = this.step('RetireCredential', 'retire-credential', RETIRE);
    // No TagResource: the DeleteSecret is what makes a credential revoked (credentialStatus).
    retire.fn.grantCredentialSecrets('DeleteSecret', 'DescribeSecret', 'UpdateSecretVersionStage');
    retire.fn.grantPutEvents();
    props.rotationSchedules?.grant(retire.fn, 'scheduler:DeleteSchedule');

    // Two lanes running the same steps per credential (LANES): an operator task holds its Map slot
    // until the person answers (hours, maybe), so no API revocation and no other task waits for it.
    const eachByApi = this.revocationLane('byApi', { atProduct, operator, prove, retire });
    const { suffix } = LANES.byOperator;
    const eachByOperator = this.revocationLane('byOperator', {
      atProduct: this.stepAgain(`RevokeAtProduct${suffix}`, atProduct, AT_PRODUCT),
      operator: this.operatorTaskAgain(`RequestOperatorRevocation${suffix}`, operator, ...OPERATOR),
      prove: this.stepAgain(`ProveRevoked${suffix}`, prove, PROVE),
      retire: this.stepAgain(`RetireCredential${suffix}`, retire, RETIRE),
    });
    const revokeByLane = new sfn.Parallel(this, 'RevokeByLane', {
      resultSelector: { 'byApi.$': '$[0]', 'byOperator.$': '$[1]' },
      resultPath: '$.results',
    })
      .branch(eachByApi)
      .branch(eachByOperator);

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
      .when(
        sfn.Condition.or(
          sfn.Condition.isPresent('$.credentials.byApi[0]'),
          sfn.Condition.isPresent('$.credentials.byOperator[0]'),
        ),
        revokeByLane,
      )
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
      this.planOr(plan, find.task.next(revokeByLane).next(continues)),
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
   * One lane of RevokeEach (LANES): per credential, revoke at the product (an operator task where
   * the product has no API), prove the old credential refused, retire its secret; a failure ends in
   * the credential's result.
   */
  private revocationLane(lane: Lane, steps: LaneSteps): sfn.Map {
    const { atProduct, operator, prove, retire } = steps;
    // The product may take a moment to forget a credential; an inconclusive answer gets the same
    // chances to turn into a refusal, then the report names the credential "revocation unproven".
    for (const error of [STILL_VALID_ERROR_NAME, UNPROVEN_ERROR_NAME]) this.retryWhile(prove, error, 4);
    const { suffix, maxConcurrency } = LANES[lane];
    this.retryThenCatch([atProduct, operator, prove, retire], this.notRevokedResult(suffix));
    operator.task.next(prove.task);
    return new sfn.Map(this, `RevokeEach${suffix}`, {
      itemsPath: `$.credentials.${lane}`,
      maxConcurrency,
      itemSelector: {
        'owner.$': '$.owner',
        'reason.$': '$.reason',
        'requestId.$': '$.requestId',
        'credential.$': '$$.Map.Item.Value',
      },
    }).itemProcessor(
      atProduct.task.next(
        new sfn.Choice(this, `NeedsOperator${suffix}`)
          .when(sfn.Condition.booleanEquals('$.revoked.needsOperator', true), operator.task)
          .otherwise(prove.task.next(retire.task)),
      ),
    );
  }

  /**
   * A credential's Map result when a step failed: which credential, the error and why, nothing more.
   * A Lambda error's Cause is the runtime's whole error document, stack trace included (about 1.5 KB
   * from a Node.js handler): kept whole, 500 of them pass the 256 KiB a state may output and the
   * execution fails with States.DataLimitExceeded before any report. Its errorMessage is the why.
   */
  private notRevokedResult(suffix: string): sfn.IChainable {
    const result = (cause: Record<string, string>) => ({
      'secretName.$': '$.credential.secretName',
      status: 'failed',
      'error.$': '$.error.Error',
      ...cause,
    });
    const lambdaError = new sfn.Pass(this, `LambdaErrorDocument${suffix}`, {
      parameters: { 'document.$': 'States.StringToJson($.error.Cause)' },
      resultPath: '$.failure',
    }).next(
      new sfn.Pass(this, `CredentialNotRevoked${suffix}`, {
        parameters: result({ 'cause.$': '$.failure.document.errorMessage' }),
      }),
    );
    return new sfn.Choice(this, `WhyNotRevoked${suffix}`)
      .when(
        sfn.Condition.and(
          sfn.Condition.isPresent('$.error.Cause'),
          sfn.Condition.stringMatches('$.error.Cause', '{"errorType":*'),
        ),
        lambdaError,
      )
      .when(
        sfn.Condition.isPresent('$.error.Cause'),
        new sfn.Pass(this, `CredentialNotRevokedByStepFunctions${suffix}`, {
          parameters: result({ 'cause.$': '$.error.Cause' }),
        }),
      )
      .otherwise(new sfn.Pass(this, `CredentialNotRevokedWithoutCause${suffix}`, { parameters: result({}) }));
  }
}
