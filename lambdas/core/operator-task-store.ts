/**
 * The operator task records: one item per waiting task in the stack's DynamoDB table
 * (lib/operator-task-table.ts), keyed by task id, holding the Step Functions task token. Only the
 * steps that open or close tasks, the daily report (summaries, no token) and the operator policy
 * reach the table; no credential grant does. A table, not a secret per task: opening and closing
 * a task cost no Secrets Manager write (issue 18, docs/benchmark.md).
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { awsFailure, ConflictError } from './errors.ts';
import { TASK_TABLE } from './names.ts';
import type { VendorName } from './products/index.ts';
import type { OperatorInstructions } from './products/vendor.ts';

/** A waiting operator task: the task token lives only here, never in an event or a log. */
export interface OperatorTaskRecord {
  readonly taskId: string;
  /**
   * What the operator does: hand in a first credential (`issue`) or one beside the current
   * (`rotate`), or confirm a revocation done in the product's UI (`revoke`).
   */
  readonly action?: 'issue' | 'rotate' | 'revoke';
  readonly taskToken: string;
  readonly requestId: string;
  readonly secretName: string;
  readonly secretArn: string;
  readonly vendor: VendorName;
  readonly target: string;
  readonly apiUser: string;
  readonly owner: string;
  readonly ticket: string;
  readonly deadline: string;
  readonly acknowledgeBy?: string;
  readonly instructions: OperatorInstructions;
}

export interface OperatorTaskSummary {
  readonly taskId: string;
  readonly target: string;
  readonly vendor: string;
  readonly ticket: string;
  readonly deadline: string;
  /** When the task was last opened (a retried step opens it again). */
  readonly openedAt?: Date;
}

/**
 * How long a record outlives its deadline before DynamoDB's TTL removes it: the workflow has
 * given up by then and compensated (which deletes the record); TTL removes what a failed
 * compensation left, and the days between keep it for an operator asking what happened.
 */
export const TASK_RECORD_RETENTION_DAYS = 7;

const SUMMARY_FIELDS = ['taskId', 'target', 'vendor', 'ticket', 'deadline', 'openedAt'] as const;

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

/** A JSON value as a DynamoDB attribute value (strings, numbers, Booleans, null, lists, maps). */
function toAttribute(value: Json): AttributeValue {
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(toAttribute) };
  return { M: toItem(value as { readonly [key: string]: Json }) };
}

function toItem(value: { readonly [key: string]: Json | undefined }): Record<string, AttributeValue> {
  return Object.fromEntries(
    Object.entries(value).flatMap(([name, inner]) =>
      inner === undefined ? [] : [[name, toAttribute(inner)]],
    ),
  );
}

function fromAttribute(value: AttributeValue): Json {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.L !== undefined) return value.L.map(fromAttribute);
  if (value.M !== undefined) return fromItem(value.M);
  return null;
}

function fromItem(item: Record<string, AttributeValue>): { [key: string]: Json } {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, fromAttribute(value)]));
}

const SERVICE = 'DynamoDB';

export class TaskStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  private key(taskId: string) {
    return { [TASK_TABLE.partitionKey]: { S: taskId } };
  }

  /**
   * Records a task opened at `openedAt`. A retried step of the same request rewrites it with the
   * newest token; a task id held by another request's task is a conflict, and that task is kept.
   */
  async put(record: OperatorTaskRecord, openedAt: Date): Promise<void> {
    const expiresAt = Math.floor(Date.parse(record.deadline) / 1000) + TASK_RECORD_RETENTION_DAYS * 86_400;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({
            ...(record as unknown as Record<string, Json>),
            openedAt: openedAt.toISOString(),
            [TASK_TABLE.expiryAttribute]: expiresAt,
          }),
          ConditionExpression: 'attribute_not_exists(#id) OR #request = :request',
          ExpressionAttributeNames: { '#id': TASK_TABLE.partitionKey, '#request': 'requestId' },
          ExpressionAttributeValues: { ':request': { S: record.requestId } },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ConflictError(
          `operator task ${record.taskId} already waits for another request than ${record.requestId}`,
        );
      throw awsFailure(SERVICE, 'PutItem', error, record.taskId);
    }
  }

  async read(taskId: string): Promise<OperatorTaskRecord | undefined> {
    try {
      const { Item } = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: this.key(taskId), ConsistentRead: true }),
      );
      if (!Item) return undefined;
      const { openedAt: _opened, [TASK_TABLE.expiryAttribute]: _expires, ...record } = fromItem(Item);
      return record as unknown as OperatorTaskRecord;
    } catch (error) {
      throw awsFailure(SERVICE, 'GetItem', error, taskId);
    }
  }

  /**
   * Closes a task. With `answeredToken`, only while the record still holds that token: a step
   * retried meanwhile has opened the task again under a newer one, and that task still waits.
   */
  async delete(taskId: string, answeredToken?: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: this.key(taskId),
          ...(answeredToken === undefined
            ? {}
            : {
                ConditionExpression: '#token = :answered',
                ExpressionAttributeNames: { '#token': 'taskToken' },
                ExpressionAttributeValues: { ':answered': { S: answeredToken } },
              }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw awsFailure(SERVICE, 'DeleteItem', error, taskId);
    }
  }

  /** Waiting operator tasks, their summaries only: the scan projects no task token. */
  async list(): Promise<OperatorTaskSummary[]> {
    const found: OperatorTaskSummary[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      let page: ScanCommandOutput;
      try {
        page = await this.client.send(
          new ScanCommand({
            TableName: this.tableName,
            ProjectionExpression: SUMMARY_FIELDS.map((_, i) => `#f${i}`).join(', '),
            ExpressionAttributeNames: Object.fromEntries(SUMMARY_FIELDS.map((field, i) => [`#f${i}`, field])),
            ExclusiveStartKey: start,
          }),
        );
      } catch (error) {
        throw awsFailure(SERVICE, 'Scan', error);
      }
      for (const item of page.Items ?? []) {
        const { openedAt, ...summary } = fromItem(item) as Record<string, string>;
        found.push({
          taskId: summary.taskId ?? '',
          target: summary.target ?? '',
          vendor: summary.vendor ?? '',
          ticket: summary.ticket ?? '',
          deadline: summary.deadline ?? '',
          ...(openedAt ? { openedAt: new Date(openedAt) } : {}),
        });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return found;
  }
}
