import { Aws, CfnOutput, CfnRule, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '#core/config.ts';
import type { IntakeKind } from '../deployment-settings.ts';
import { ProvisionerFunction } from '../provisioner-function.ts';
import { stackNames } from '../stack-names.ts';

/**
 * The commercial regions without Lambda function URLs, where `intake=http-api` is needed:
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-urls.html (the note under "function URLs").
 */
export const REGIONS_WITHOUT_FUNCTION_URLS = [
  'ap-south-2',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ap-east-2',
  'ca-west-1',
  'eu-south-2',
  'eu-central-2',
  'il-central-1',
  'me-central-1',
];

export interface IntakeEndpointProps {
  readonly key: kms.IKey;
  readonly provision: sfn.IStateMachine;
  readonly revoke: sfn.IStateMachine;
  /** A Lambda function URL (the default) or an API Gateway HTTP API in front of the same function. */
  readonly kind: IntakeKind;
  /** Reserved for the intake and capping it: a flood of unsigned requests cannot take more. */
  readonly reservedConcurrency: number;
}

/**
 * The ticketing intake: a public HTTPS endpoint. Ticketing systems post plain HTTPS webhooks and
 * cannot sign with SigV4, so every request is authenticated by its HMAC signature (shared secret in
 * Secrets Manager, 5-minute replay window) before anything else is read. Both kinds hand the
 * function the same payload 2.0 event.
 */
export class IntakeEndpoint extends Construct {
  readonly url: string;
  readonly webhookSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: IntakeEndpointProps) {
    super(scope, id);
    this.webhookSecret = new secretsmanager.Secret(this, 'WebhookSecret', {
      secretName: stackNames(this).secrets.webhookSecret,
      description: 'HMAC secret shared with the ticketing system (X-Provisioner-Signature)',
      encryptionKey: props.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.webhookSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The webhook secret is shared with the ticketing system: it is rotated by changing it in both places together, not by a rotation Lambda',
    });

    const fn = new ProvisionerFunction(this, 'TicketIntake', {
      handlerId: 'ticket-intake',
      key: props.key,
      reservedConcurrency: props.reservedConcurrency,
    });
    fn.function.addEnvironment(ENV.provisionStateMachineArn, props.provision.stateMachineArn);
    fn.function.addEnvironment(ENV.revokeStateMachineArn, props.revoke.stateMachineArn);
    props.provision.grantStartExecution(fn.role);
    props.revoke.grantStartExecution(fn.role);
    fn.grantReadSecret(this.webhookSecret);
    this.url = props.kind === 'http-api' ? this.httpApi(fn) : this.functionUrl(fn);
    new CfnOutput(this, 'IntakeUrl', { value: this.url, description: 'POST signed ticket webhooks here' });
  }

  private functionUrl(fn: ProvisionerFunction): string {
    // Refused before any resource is created, in words, where the resource type does not exist.
    new CfnRule(this, 'FunctionUrlRegion', {
      assertions: [
        {
          assert: Fn.conditionNot(Fn.conditionContains(REGIONS_WITHOUT_FUNCTION_URLS, Aws.REGION)),
          assertDescription:
            'Lambda function URLs do not exist in this region: synthesize with -c intake=http-api (docs/deploy-to-production.md)',
        },
      ],
    });
    return fn.function.addFunctionUrl({ authType: FunctionUrlAuthType.NONE }).url;
  }

  private httpApi(fn: ProvisionerFunction): string {
    const api = new apigw.HttpApi(this, 'HttpApi', {
      description: 'Signed ticket webhooks (HMAC checked by the intake function)',
      defaultIntegration: new HttpLambdaIntegration('TicketIntake', fn.function, {
        payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
      }),
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stage = new apigw.HttpStage(this, 'Stage', {
      httpApi: api,
      autoDeploy: true,
      // Beside the function's reserved concurrency: refused at the edge with 429 before any invocation.
      throttle: { rateLimit: 20, burstLimit: 40 },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs) },
    });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Ticketing systems cannot sign with SigV4 or fetch tokens: every request is authenticated by its HMAC signature in the function',
    });
    return stage.url;
  }
}
