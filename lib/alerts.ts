import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { SERVICE_NAME } from '#core/config.ts';

export interface AlertsProps {
  /** An address subscribed to every alert (context `alertEmail`); it must confirm the subscription. */
  readonly email?: string;
}

/**
 * Alerts that reach a person: one KMS-encrypted SNS topic every alarm notifies, readable messages
 * for the events that need someone, and the dead-letter queues whose depth is alarmed. The topic is
 * what AWS Chatbot subscribes to for Slack or Microsoft Teams (docs/deploy-to-production.md).
 */
export class Alerts extends Construct {
  readonly topic: sns.Topic;
  private readonly action: actions.SnsAction;

  /** The alerts of the stack `scope` belongs to. */
  static of(scope: IConstruct): Alerts {
    const found = Stack.of(scope).node.tryFindChild('Alerts');
    if (!(found instanceof Alerts))
      throw new Error('the stack creates its Alerts before anything that alarms');
    return found;
  }

  constructor(scope: Stack, props: AlertsProps) {
    super(scope, 'Alerts');
    // Its own key: CloudWatch and EventBridge may use it to publish; the secrets key stays theirs alone.
    const key = new kms.Key(this, 'TopicKey', {
      description: `Encrypts the alerts of ${scope.stackName}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': scope.account } },
        }),
      );
    }
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: `${SERVICE_NAME} alerts (${scope.stackName})`,
      masterKey: key,
      enforceSSL: true,
    });
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    this.action = new actions.SnsAction(this.topic);
  }

  /** Makes an alarm notify the topic (when it fires, not when it clears). */
  notify(alarm: cloudwatch.Alarm): void {
    alarm.addAlarmAction(this.action);
  }

  /** An alarm that fires as soon as `metric` reaches 1 in a 5-minute period, notifying the topic. */
  alarmAtOne(
    scope: Construct,
    id: string,
    metric: cloudwatch.IMetric,
    description: string,
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(scope, id, {
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    this.notify(alarm);
    return alarm;
  }

  /**
   * An SSE-encrypted queue keeping what could not be delivered (`purpose`), for 14 days, with an
   * alarm as soon as it holds a message.
   */
  deadLetterQueue(scope: Construct, id: string, purpose: string): sqs.Queue {
    const queue = new sqs.Queue(scope, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself the dead-letter queue of ${purpose}; its depth is alarmed`,
    });
    this.alarmAtOne(
      scope,
      `${id}NotEmpty`,
      queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      `Dead letters of ${purpose}: read them, fix the cause, then replay or discard them`,
    );
    return queue;
  }

  /**
   * `detailType` events of the provisioner on `bus` become a readable message on the topic (an
   * input transformer: `message` holds `events.EventField` placeholders).
   */
  relay(id: string, bus: events.IEventBus | undefined, detailType: string, message: string): void {
    new events.Rule(this, id, {
      eventBus: bus,
      description: `Tells a person about ${detailType}`,
      eventPattern: { source: [SERVICE_NAME], detailType: [detailType] },
      targets: [
        new targets.SnsTopic(this.topic, {
          message: events.RuleTargetInput.fromText(message),
          deadLetterQueue: this.deadLetterQueue(this, `${id}DeadLetters`, `the ${detailType} notifications`),
          retryAttempts: 8,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
  }
}
