import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '#core/config.ts';
import { Alerts } from '../alerts.ts';
import { ProvisionerFunction } from '../provisioner-function.ts';

export interface DeactivationRulesProps {
  readonly key: kms.IKey;
  readonly revoke: sfn.IStateMachine;
  /** The bus directory deactivation events arrive on (lib/triggers/directory-bus.ts, or context `directoryEventBus`); absent: the default bus. */
  readonly directoryBus?: events.IEventBus;
  /**
   * The partner event bus of the identity provider's event source (context `partnerEventBus`): SaaS
   * partner events are delivered there, never to the default bus
   * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-saas.html).
   */
  readonly partnerBus?: events.IEventBus;
}

/**
 * Deactivation events -> one revoke execution each (docs/architecture.md). A small function names the
 * execution from the event (EventBridge's Step Functions target cannot), so a repeated delivery
 * starts nothing new. What cannot be delivered, or fails in the starter, lands in a dead-letter queue.
 */
export class DeactivationRules extends Construct {
  readonly starter: ProvisionerFunction;
  readonly rules: events.Rule[];

  constructor(scope: Construct, id: string, props: DeactivationRulesProps) {
    super(scope, id);
    const alerts = Alerts.of(this);
    this.starter = new ProvisionerFunction(this, 'StartRevocation', {
      handlerId: 'start-revocation',
      key: props.key,
    });
    this.starter.function.addEnvironment(ENV.revokeStateMachineArn, props.revoke.stateMachineArn);
    props.revoke.grantStartExecution(this.starter.role);
    // EventBridge invokes asynchronously: a starter that fails after Lambda's own retries keeps the event here.
    this.starter.function.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: new SqsDestination(
        alerts.deadLetterQueue(this, 'StarterFailures', 'the revocation starter (asynchronous invocations)'),
      ),
    });

    const rules: [string, events.EventPattern, events.IEventBus | undefined][] = [
      [
        'DirectoryUserDeactivated',
        { source: ['provisioner.directory'], detailType: ['User Deactivated', 'Group Deleted'] },
        props.directoryBus,
      ],
    ];
    if (props.partnerBus) {
      rules.push([
        'IdentityProviderUserDeactivated',
        {
          source: events.Match.prefix('aws.partner/okta.com'),
          detail: { eventType: ['user.lifecycle.deactivate', 'group.lifecycle.delete'] },
        },
        props.partnerBus,
      ]);
    }
    this.rules = rules.map(
      ([ruleId, eventPattern, eventBus]) =>
        new events.Rule(this, ruleId, {
          eventBus,
          description: `Revokes the credentials of a deactivated owner (${ruleId})`,
          eventPattern,
          targets: [
            new targets.LambdaFunction(this.starter.function, {
              retryAttempts: 8,
              maxEventAge: Duration.hours(24),
              deadLetterQueue: alerts.deadLetterQueue(this, `${ruleId}DeadLetters`, `the ${ruleId} rule`),
            }),
          ],
        }),
    );
  }
}
