/**
 * AcceptOperatorAnswer (lambdas/handlers/accept-operator-answer.ts): the one function `provisioner
 * submit`, `ack` and `tasks <id>` invoke. It reads the task record (the token), compares a handed-in
 * credential with the task's and its target's (ListSecrets, GetSecretValue of those credentials),
 * verifies it at the product (in the stack's network), stores it (PutSecretValue; a broker's access
 * token) and answers the workflow. No function URL: only lambda:Invoke reaches it.
 */
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ACCESS_TOKEN_WRITES, ProvisionerFunction } from './provisioner-function.ts';
import { stackNames } from './stack-names.ts';

export class OperatorAnswerFunction extends Construct {
  readonly fn: ProvisionerFunction;

  constructor(scope: Construct, id: string, props: { readonly key: kms.IKey }) {
    super(scope, id);
    this.fn = new ProvisionerFunction(this, 'AcceptOperatorAnswer', {
      handlerId: 'accept-operator-answer',
      key: props.key,
      functionName: stackNames(this).operatorAnswerFunction,
    });
    this.fn.grantReadTargets();
    // The token is read to answer; the record goes once the task is answered.
    this.fn.grantTaskRecords('dynamodb:GetItem', 'dynamodb:DeleteItem');
    this.fn.grantAnswerTasks();
    // The target's credentials are found by tag and read to refuse a key another secret holds.
    this.fn.grantListSecrets();
    // An earlier release's ARM expiry tag goes; AWSCURRENT moves back when the task went away
    // meanwhile; a broker's token is kept.
    const writes = new Set([
      ...ACCESS_TOKEN_WRITES,
      'PutSecretValue',
      'UntagResource',
      'UpdateSecretVersionStage',
    ] as const);
    this.fn.grantCredentialSecrets('DescribeSecret', 'GetSecretValue', ...writes);
    this.fn.grantKey('kms:Decrypt', 'kms:GenerateDataKey');
  }
}
