import { CfnOutput, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '#core/config.ts';
import { WEBHOOK_SECRET_NAME } from '#core/names.ts';
import { ProvisionerFunction } from '../provisioner-function.ts';

export interface IntakeEndpointProps {
  readonly key: kms.IKey;
  readonly provision: sfn.IStateMachine;
  readonly revoke: sfn.IStateMachine;
}

/**
 * The ticketing intake: a Lambda function URL. Ticketing systems post plain HTTPS webhooks and cannot
 * sign with SigV4, so the URL is public and every request is authenticated by its HMAC signature
 * (shared secret in Secrets Manager, 5-minute replay window) before anything else is read; API
 * Gateway would add cost and a second timeout without adding authentication.
 */
export class IntakeEndpoint extends Construct {
  readonly url: string;
  readonly webhookSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: IntakeEndpointProps) {
    super(scope, id);
    this.webhookSecret = new secretsmanager.Secret(this, 'WebhookSecret', {
      secretName: WEBHOOK_SECRET_NAME,
      description: 'HMAC secret shared with the ticketing system (X-Provisioner-Signature)',
      encryptionKey: props.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.webhookSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The webhook secret is shared with the ticketing system: it is rotated by changing it in both places together, not by a rotation Lambda',
    });

    const fn = new ProvisionerFunction(this, 'TicketIntake', { handlerId: 'ticket-intake', key: props.key });
    fn.function.addEnvironment(ENV.provisionStateMachineArn, props.provision.stateMachineArn);
    fn.function.addEnvironment(ENV.revokeStateMachineArn, props.revoke.stateMachineArn);
    props.provision.grantStartExecution(fn.role);
    props.revoke.grantStartExecution(fn.role);
    fn.grantReadSecret(this.webhookSecret);
    this.url = fn.function.addFunctionUrl({ authType: FunctionUrlAuthType.NONE }).url;
    new CfnOutput(this, 'IntakeUrl', { value: this.url, description: 'POST signed ticket webhooks here' });
  }
}
