import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { ENV, SERVICE_NAME } from '#core/config.ts';
import { ACCESS_TOKEN_WRITES } from '../provisioner-function.ts';
import { RETRYABLE, Workflow, type WorkflowProps, type WorkflowStep } from './workflow-base.ts';

export interface ReconcileWorkflowProps extends WorkflowProps {
  readonly provision: sfn.IStateMachine;
  readonly rotate: sfn.IStateMachine;
}

/**
 * Reconcile, daily: every target compared with Secrets Manager, two targets at a time;
 * one drift report (event and DriftFound metric); an alarm when drift needs a person.
 */
export class ReconcileWorkflow extends Workflow {
  readonly stateMachine: sfn.StateMachine;
  readonly driftAlarm: cloudwatch.Alarm;
  /** Fires when the daily report finds an operator task due within a day. */
  readonly taskDeadlineAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ReconcileWorkflowProps) {
    super(scope, id, props, 'reconcile');
    const list = this.step('ListTargets', 'list-targets', { outputPath: '$.Payload' });
    list.fn.grantListSecrets();
    // A fleet target's definition names its devices, each reconciled as a target of its own.
    list.fn.grantReadTargets();
    list.task.addRetry(RETRYABLE);

    const reconcile = this.step('ReconcileTarget', 'reconcile-target', { outputPath: '$.Payload' });
    reconcile.fn.grantReadTargets();
    reconcile.fn.grantListSecrets();
    // DescribeSecret confirms an orphan by name; a check that re-mints a broker's token keeps it.
    reconcile.fn.grantCredentialSecrets('GetSecretValue', ...ACCESS_TOKEN_WRITES);
    reconcile.fn.grantKey('kms:Decrypt', 'kms:GenerateDataKey');
    // An orphan whose creating execution still runs is only reported, never removed.
    const readsExecutionEnds = (step: WorkflowStep) => {
      for (const [variable, machine] of [
        [ENV.provisionStateMachineArn, props.provision],
        [ENV.rotateStateMachineArn, props.rotate],
      ] as const) {
        step.fn.function.addEnvironment(variable, machine.stateMachineArn);
        step.fn.grantDescribeExecutions(machine, 'an orphan is removed only once its execution is over');
      }
    };
    readsExecutionEnds(reconcile);
    // `repair: fix` re-issues a broken current key through a rotation of that credential.
    props.rotate.grantStartExecution(reconcile.fn.role);
    reconcile.task.addRetry(RETRYABLE);
    const unreachable = new sfn.Pass(this, 'TargetNotReconciled', {
      parameters: { 'target.$': '$.target', 'error.$': '$.error.Error' },
    });
    reconcile.task.addCatch(unreachable, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const each = new sfn.Map(this, 'ReconcileEach', {
      itemsPath: '$.targets',
      maxConcurrency: 2,
      // Each target's share of the sample bytes keeps the Map's results within 256 KiB (reconcile.ts).
      itemSelector: { 'target.$': '$$.Map.Item.Value', 'sampleBytes.$': '$.sampleBytes' },
      resultPath: '$.results',
    }).itemProcessor(reconcile.task);

    const report = this.step('ReportDrift', 'report-drift', {
      payload: sfn.TaskInput.fromObject({
        requestId: sfn.JsonPath.executionName,
        results: sfn.JsonPath.listAt('$.results'),
      }),
      outputPath: '$.Payload',
    });
    report.fn.grantPutEvents();
    // The operator tasks waiting, from their records' summaries (a Scan projecting no task token).
    report.fn.grantTaskRecords('dynamodb:Scan');
    report.task.addRetry(RETRYABLE);

    // Plans from ReconcileTarget's own drift finding; reads only: no write, no token minted, no execution started.
    const plan = this.entryStep('PlanReconciliation', 'plan-reconciliation');
    plan.fn.grantReadTargets();
    plan.fn.grantListSecrets();
    plan.fn.grantCredentialSecrets('DescribeSecret', 'GetSecretValue');
    plan.fn.grantKey('kms:Decrypt');
    readsExecutionEnds(plan);
    plan.task.addRetry(RETRYABLE);

    this.stateMachine = this.createStateMachine(
      this.planOr(plan, list.task.next(each).next(report.task)),
      Duration.hours(2),
    );

    new events.Rule(this, 'Daily', {
      description: 'Reconciles credentials with their products once a day',
      schedule: events.Schedule.rate(Duration.days(1)),
      // Every target: ListTargets reads the input as a reconcile request, which the scheduled event is not.
      targets: [
        new targets.SfnStateMachine(this.stateMachine, {
          input: events.RuleTargetInput.fromObject({}),
          retryAttempts: 3,
        }),
      ],
    });
    this.driftAlarm = dailyAlarm(
      this,
      'DriftAlarm',
      'DriftFound',
      'Reconciliation found credentials that need a person: read the credential.drift-report event',
    );
    this.taskDeadlineAlarm = dailyAlarm(
      this,
      'TaskDeadlineAlarm',
      'OperatorTasksNearDeadline',
      'An operator task is due within a day: `provisioner tasks` lists them; answer or acknowledge it before the workflow gives up',
    );
  }
}

/** A metric the daily ReportDrift publishes (lambdas/handlers/report-drift.ts), as a dashboard reads it. */
export function reportMetric(metricName: string, statistic = 'Maximum'): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'CredentialProvisioner',
    metricName,
    dimensionsMap: { service: SERVICE_NAME },
    statistic,
    period: Duration.days(1),
  });
}

/** An alarm on a daily report metric: it fires when the report counts at least one. */
function dailyAlarm(scope: Construct, id: string, metricName: string, description: string): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    alarmDescription: description,
    metric: reportMetric(metricName),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}
