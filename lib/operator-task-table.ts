/**
 * The operator task records (lambdas/core/operator-task-store.ts): one DynamoDB item per waiting
 * task, holding its Step Functions task token. A table instead of a secret per task: two Secrets
 * Manager writes fewer per operator task (issue 18), at on-demand prices (docs/benchmark.md).
 * Encrypted with the stack's key, recoverable (point-in-time recovery), kept when the stack goes,
 * and emptied of forgotten records by TTL some days after their deadline.
 */
import { Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, type IConstruct } from 'constructs';
import { TASK_TABLE } from '#core/names.ts';
import { stackNames } from './stack-names.ts';

/** What a role may do on task records: open (PutItem), read (GetItem), close (DeleteItem), list (Scan). */
export type TaskRecordAction =
  | 'dynamodb:PutItem'
  | 'dynamodb:GetItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:Scan';

const ID = 'OperatorTasks';

export class OperatorTaskTable extends Construct {
  /** The stack's task table; it must have been created before any function is granted on it. */
  static of(scope: IConstruct): OperatorTaskTable {
    const table = Stack.of(scope).node.tryFindChild(ID);
    if (!(table instanceof OperatorTaskTable)) throw new Error('the stack has no operator task table yet');
    return table;
  }

  readonly table: dynamodb.Table;
  private readonly key: kms.IKey;

  constructor(scope: Stack, props: { readonly key: kms.IKey }) {
    super(scope, ID);
    this.key = props.key;
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: stackNames(this).taskTable,
      partitionKey: { name: TASK_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TASK_TABLE.expiryAttribute,
      // Kept when the stack goes or the table would be replaced, as the stack's key is; removed by
      // the rollback of a failed create (RetainExceptOnCreate), so its fixed name never blocks the
      // next create. After a destroy, delete or import it before creating the stack again
      // (docs/deploy-to-production.md, "What a destroy leaves behind").
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      deletionProtection: true,
    });
  }

  /**
   * Exactly `actions` on the table, and the key as DynamoDB uses it for the caller: kms:Decrypt of
   * the table key, only through DynamoDB (AWS KMS Developer Guide, "How Amazon DynamoDB uses AWS
   * KMS": https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html).
   */
  grant(grantee: iam.IGrantable, actions: readonly TaskRecordAction[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...actions], resources: [this.table.tableArn] }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Aws.REGION}.amazonaws.com` } },
      }),
    );
  }
}
