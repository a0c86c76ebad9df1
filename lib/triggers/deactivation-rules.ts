import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '#core/config.ts';
import { ProvisionerFunction } from '../provisioner-function.ts';

export interface DeactivationRulesProps {
  readonly key: kms.IKey;
  readonly revoke: sfn.IStateMachine;
  /** The bus deactivation events arrive on (default: the account's default bus). */
  readonly eventBus?: events.IEventBus;
}

/**
 * Deactivation events -> one revoke execution each (docs/architecture.md). A small function names the
 * execution from the event (EventBridge's Step Functions target cannot), so a repeated delivery
 * starts nothing new.
 */
export class DeactivationRules extends Construct {
  readonly starter: ProvisionerFunction;
  readonly rules: events.Rule[];

  constructor(scope: Construct, id: string, props: DeactivationRulesProps) {
    super(scope, id);
    this.starter = new ProvisionerFunction(this, 'StartRevocation', {
      handlerId: 'start-revocation',
      key: props.key,
    });
    this.starter.function.addEnvironment(ENV.revokeStateMachineArn, props.revoke.stateMachineArn);
    props.revoke.grantStartExecution(this.starter.role);

    const patterns: Record<string, events.EventPattern> = {
      DirectoryUserDeactivated: { source: ['provisioner.directory'], detailType: ['User Deactivated'] },
      IdentityProviderUserDeactivated: {
        source: events.Match.prefix('aws.partner/okta.com'),
        detail: { eventType: ['user.lifecycle.deactivate'] },
      },
    };
    this.rules = Object.entries(patterns).map(
      ([ruleId, eventPattern]) =>
        new events.Rule(this, ruleId, {
          eventBus: props.eventBus,
          description: `Revokes the credentials of a deactivated owner (${ruleId})`,
          eventPattern,
          targets: [
            new targets.LambdaFunction(this.starter.function, {
              retryAttempts: 8,
              maxEventAge: Duration.hours(24),
            }),
          ],
        }),
    );
  }
}
