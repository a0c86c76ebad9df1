/**
 * What each local endpoint asks IAM before an operation runs: the action (`<service prefix>:<operation>`,
 * as the Service Authorization Reference names them) and the resource it acts on
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
 * An operation with no resource type there is evaluated against `*`.
 */
import { type AwsJsonCall, AwsServiceError } from '../aws-json-server.ts';
import type { LocalDynamoDb } from '../dynamodb.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../endpoints.ts';
import type { LambdaInvokeCall } from '../lambda-invoke.ts';
import type { SchedulerCall } from '../scheduler.ts';
import type { LocalSecretsManager } from '../secrets-manager.ts';
import type { LocalIam } from './account.ts';

const ARN = /^arn:aws:/;
const secretArnOf = (id: string) =>
  ARN.test(id) ? id : `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:secret:${id}`;

/** Secrets Manager operations whose value Secrets Manager encrypts or decrypts with the secret's key. */
const ENCRYPTS = new Set(['CreateSecret', 'PutSecretValue', 'UpdateSecret']);
const DECRYPTS = new Set(['GetSecretValue']);

/**
 * Secrets Manager: the secret as the store holds it (its ARN with the random suffix); a SecretId the
 * store does not know is evaluated as the ARN it names (a name becomes `…:secret:<name>`), and a new
 * secret as `…:secret:<Name>`. Then the implicit KMS call made as the caller for a secret under a
 * customer managed key.
 */
export function secretsManagerAuthorizer(iam: LocalIam, store: LocalSecretsManager) {
  return (call: AwsJsonCall): void => {
    const principal = iam.callerOf(call.headers);
    const id = call.input.SecretId ?? (call.operation === 'CreateSecret' ? call.input.Name : undefined);
    const stored =
      call.input.SecretId !== undefined ? store.authorizationView(call.input.SecretId) : undefined;
    const resource = typeof id === 'string' ? (stored?.arn ?? secretArnOf(id)) : '*';
    // The secret's own resource policy, if it has one (same account: identity OR resource allow; an explicit Deny in either wins).
    iam.authorize(
      { principal, action: `secretsmanager:${call.operation}`, resource },
      stored?.resourcePolicy,
    );

    const writesValue =
      ENCRYPTS.has(call.operation) &&
      (call.input.SecretString !== undefined || call.input.SecretBinary !== undefined);
    if (!writesValue && !DECRYPTS.has(call.operation)) return;
    const keyId = (call.input.KmsKeyId as string | undefined) ?? stored?.kmsKeyId;
    // No key, or one the template does not define: the AWS managed key aws/secretsmanager, whose policy lets the account use it through Secrets Manager.
    const keyArn = keyId === undefined ? undefined : iam.keyArnOf(keyId);
    if (keyArn)
      iam.authorizeKmsViaSecretsManager(
        principal,
        writesValue ? 'kms:GenerateDataKey' : 'kms:Decrypt',
        keyArn,
        resource,
      );
  };
}

/** Step Functions: a state machine, an execution, or `*` for task tokens and listings of machines. */
export function stepFunctionsAuthorizer(iam: LocalIam) {
  return (call: AwsJsonCall): void => {
    const resource = call.input.executionArn ?? call.input.stateMachineArn ?? '*';
    iam.authorize({
      principal: iam.callerOf(call.headers),
      action: `states:${call.operation}`,
      resource: String(resource),
    });
  };
}

/** EventBridge PutEvents: each entry's event bus (the default one unless named), with the bus's resource policy. */
export function eventBridgeAuthorizer(iam: LocalIam) {
  return (call: AwsJsonCall): void => {
    const principal = iam.callerOf(call.headers);
    const entries = Array.isArray(call.input.Entries)
      ? (call.input.Entries as { EventBusName?: unknown }[])
      : [];
    const buses = new Set(
      entries.map((e) => (typeof e.EventBusName === 'string' ? e.EventBusName : 'default')),
    );
    for (const bus of buses.size > 0 ? buses : ['default']) {
      const resource = ARN.test(bus)
        ? bus
        : `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:event-bus/${bus}`;
      iam.authorize({ principal, action: `events:${call.operation}`, resource }, iam.busPolicy(resource));
    }
  };
}

/** Scheduler: the schedule, and iam:PassRole on the role a new schedule's target runs as (Scheduler User Guide, "Set up the execution role"). */
export function schedulerAuthorizer(iam: LocalIam) {
  return (call: SchedulerCall): void => {
    const principal = iam.callerOf(call.headers);
    iam.authorize({ principal, action: `scheduler:${call.operation}`, resource: call.resource });
    if (call.passedRoleArn !== undefined)
      iam.authorize({
        principal,
        action: 'iam:PassRole',
        resource: call.passedRoleArn,
        context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
      });
  };
}

/**
 * DynamoDB: the table the call names (an unknown one as the ARN it would have: AWS authorizes
 * before it looks). Then the implicit KMS call DynamoDB makes as the caller to decrypt the table
 * key of a table under a customer managed key (AWS KMS Developer Guide, "How Amazon DynamoDB uses
 * AWS KMS": https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html), with
 * its encryption context (table name, account). Refused, the call fails with KMS's own words: no
 * recording of DynamoDB's answer was found (docs/embedded-default.md, DynamoDB).
 */
export function dynamoDbAuthorizer(iam: LocalIam, dynamoDb: LocalDynamoDb) {
  return (call: AwsJsonCall): void => {
    const principal = iam.callerOf(call.headers);
    const table = String(call.input.TableName ?? '');
    const resource = ARN.test(table) ? table : dynamoDb.tableArn(table);
    iam.authorize({ principal, action: `dynamodb:${call.operation}`, resource });
    const keyArn = dynamoDb.kmsKeyOf(table);
    const context = { 'aws:dynamodb:tableName': table, 'aws:dynamodb:subscriberId': LOCAL_ACCOUNT_ID };
    if (keyArn && !iam.kmsPermits('dynamodb', principal, 'kms:Decrypt', keyArn, context))
      throw kmsAccessDenied(principal.arn, keyArn);
  };
}

const kmsAccessDenied = (caller: string, keyArn: string) =>
  new AwsServiceError(
    'AccessDeniedException',
    `User: ${caller} is not authorized to perform: kms:Decrypt on resource: ${keyArn}`,
  );

/** Lambda Invoke: lambda:InvokeFunction on the function's ARN (the IAM action's name differs from the API's, Invoke). */
export function lambdaAuthorizer(iam: LocalIam) {
  return (call: LambdaInvokeCall): void => {
    iam.authorize({
      principal: iam.callerOf(call.headers),
      action: 'lambda:InvokeFunction',
      resource: call.functionArn,
    });
  };
}
