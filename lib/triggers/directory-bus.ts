import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { stackNames } from '../stack-names.ts';

export interface DirectoryBusProps {
  /** Account ids or IAM role ARNs that may put events on the bus (context `directoryEventPutters`). */
  readonly putters: readonly string[];
}

const ACCOUNT_ID = /^\d{12}$/;

/**
 * The stack's own event bus for directory deactivations, so that putting a deactivation (and so
 * revoking an owner) is a permission of its own, not anyone's PutEvents on the default bus. Its
 * resource policy allows the putters and denies everyone else, whatever their IAM policies grant:
 * a Deny on `aws:PrincipalArn` / `aws:PrincipalAccount`, as for the credentials' secrets (EventBridge
 * User Guide, "Permissions for event buses":
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html). Without putters
 * the bus has no policy: only principals of this account whose IAM policies allow PutEvents on it.
 */
export class DirectoryBus extends Construct {
  readonly bus: events.EventBus;

  constructor(scope: Construct, id: string, props: DirectoryBusProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', { eventBusName: stackNames(this).directoryBus });
    if (props.putters.length === 0) return;
    const accounts = props.putters.filter((p) => ACCOUNT_ID.test(p));
    const roles = props.putters.filter((p) => !ACCOUNT_ID.test(p));
    this.bus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DirectoryPutsDeactivations',
        principals: props.putters.map((p) =>
          ACCOUNT_ID.test(p) ? new iam.AccountPrincipal(p) : new iam.ArnPrincipal(p),
        ),
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
      }),
    );
    // Both conditions must hold for the Deny: the caller is neither a listed role nor of a listed account.
    this.bus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'NobodyElsePuts',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
        conditions: {
          ...(roles.length > 0 ? { ArnNotEquals: { 'aws:PrincipalArn': roles } } : {}),
          ...(accounts.length > 0 ? { StringNotEquals: { 'aws:PrincipalAccount': accounts } } : {}),
        },
      }),
    );
  }
}
