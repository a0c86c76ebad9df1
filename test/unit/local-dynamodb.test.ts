/**
 * The local DynamoDB answers as AWS does. Each expectation names its source: "LocalStack <test>" is
 * tests/aws/services/dynamodb/test_dynamodb.snapshot.json in github:localstack/localstack
 * (AWS-validated), "moto <test>" a test in github:getmoto/moto tests/test_dynamodb/ (marked
 * aws_verified where it says so), otherwise the DynamoDB API Reference page named.
 */
import {
  type AttributeValue,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDynamoDb } from '#local/dynamodb.ts';
import { failure } from '../failure.ts';

const TABLE = 'tasks';
let ddb: Awaited<ReturnType<typeof startLocalDynamoDb>>;
let c: DynamoDBClient;

async function refusal(call: Promise<unknown>) {
  const error = (await failure(call)) as Error & { $metadata?: { httpStatusCode?: number } };
  return { name: error.name, message: error.message, status: error.$metadata?.httpStatusCode };
}

const put = (taskId: string, extra: Record<string, { S: string }> = {}) =>
  c.send(new PutItemCommand({ TableName: TABLE, Item: { taskId: { S: taskId }, ...extra } }));
const get = async (taskId: string) =>
  (
    await c.send(
      new GetItemCommand({ TableName: TABLE, Key: { taskId: { S: taskId } }, ConsistentRead: true }),
    )
  ).Item;

describe('local DynamoDB: AWS answers', () => {
  beforeAll(async () => {
    ddb = await startLocalDynamoDb({ tables: [{ name: TABLE, partitionKey: 'taskId' }] });
    c = new DynamoDBClient({
      endpoint: ddb.url,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
  });
  afterAll(async () => {
    c.destroy();
    await ddb.close();
  });

  it('keeps an item as put, replaces it on a second put, and answers no Item for a missing key', async () => {
    await put('t-1', { token: { S: 'first' } });
    await put('t-1', { token: { S: 'second' }, n: { S: 'x' } });
    expect(await get('t-1')).toEqual({ taskId: { S: 't-1' }, token: { S: 'second' }, n: { S: 'x' } });
    expect(await get('t-none')).toBeUndefined();
  });

  it('refuses a table it does not have (LocalStack test_batch_write_not_existing_table)', async () => {
    expect(
      await refusal(c.send(new GetItemCommand({ TableName: 'nope', Key: { taskId: { S: 'x' } } }))),
    ).toEqual({ name: 'ResourceNotFoundException', message: 'Requested resource not found', status: 400 });
  });

  it('refuses a write whose condition fails and leaves the item as it was (LocalStack test_return_values_on_conditions_check_failure)', async () => {
    await put('t-2', { token: { S: 'kept' } });
    const conditional = {
      TableName: TABLE,
      Item: { taskId: { S: 't-2' }, token: { S: 'other' } },
      ConditionExpression: 'attribute_not_exists(taskId) OR #r = :r',
      ExpressionAttributeNames: { '#r': 'requestId' },
      ExpressionAttributeValues: { ':r': { S: 'req-2' } },
    };
    expect(await refusal(c.send(new PutItemCommand(conditional)))).toEqual({
      name: 'ConditionalCheckFailedException',
      message: 'The conditional request failed',
      status: 400,
    });
    expect((await get('t-2'))?.token).toEqual({ S: 'kept' });
    // The condition holds for a new item, and for one whose attribute matches.
    await c.send(new PutItemCommand({ ...conditional, Item: { ...conditional.Item, taskId: { S: 't-3' } } }));
    await put('t-4', { requestId: { S: 'req-2' } });
    await c.send(new PutItemCommand({ ...conditional, Item: { ...conditional.Item, taskId: { S: 't-4' } } }));
    expect((await get('t-4'))?.token).toEqual({ S: 'other' });
  });

  it('deletes only when the condition holds; a delete of a missing item succeeds', async () => {
    await put('t-5', { taskToken: { S: 'newer' } });
    const closing = {
      TableName: TABLE,
      Key: { taskId: { S: 't-5' } },
      ConditionExpression: 'taskToken = :answered',
      ExpressionAttributeValues: { ':answered': { S: 'older' } },
    };
    expect((await refusal(c.send(new DeleteItemCommand(closing)))).name).toBe(
      'ConditionalCheckFailedException',
    );
    expect(await get('t-5')).toBeDefined();
    await c.send(
      new DeleteItemCommand({ ...closing, ExpressionAttributeValues: { ':answered': { S: 'newer' } } }),
    );
    expect(await get('t-5')).toBeUndefined();
    await c.send(new DeleteItemCommand({ TableName: TABLE, Key: { taskId: { S: 't-5' } } }));
  });

  it('refuses a key that is not the table’s (moto test_provide_range_key_against_table_without_range_key, aws_verified)', async () => {
    const keys: Record<string, AttributeValue>[] = [
      { taskId: { S: 'x' }, sk: { S: 'y' } },
      { id: { S: 'x' } },
      { taskId: { N: '1' } },
    ];
    for (const Key of keys) {
      expect(await refusal(c.send(new GetItemCommand({ TableName: TABLE, Key })))).toEqual({
        name: 'ValidationException',
        message: 'The provided key element does not match the schema',
        status: 400,
      });
    }
  });

  it('refuses an item without its key or with a mistyped one (moto test_put_empty_item, test_put_item_wrong_attribute_type)', async () => {
    expect(
      await refusal(c.send(new PutItemCommand({ TableName: TABLE, Item: { other: { S: 'x' } } }))),
    ).toEqual({
      name: 'ValidationException',
      message: 'One or more parameter values were invalid: Missing the key taskId in the item',
      status: 400,
    });
    expect(
      (await refusal(c.send(new PutItemCommand({ TableName: TABLE, Item: { taskId: { N: '1' } } })))).message,
    ).toBe('One or more parameter values were invalid: Type mismatch for key taskId expected: S actual: N');
  });

  it('refuses an item over 400 KB and keeps nothing of it (moto test_item_size_is_under_400KB; PutItem API reference)', async () => {
    expect(await refusal(put('t-big', { blob: { S: 'x'.repeat(400 * 1024) } }))).toEqual({
      name: 'ValidationException',
      message: 'Item size has exceeded the maximum allowed size',
      status: 400,
    });
    expect(await get('t-big')).toBeUndefined();
    // Just under the limit: the names count, as the value's UTF-8 bytes do ("Item sizes and formats").
    await put('t-fits', { blob: { S: 'x'.repeat(400 * 1024 - 'taskId'.length - 't-fits'.length - 4) } });
  });

  it('refuses an expression value or name it was not given (moto test_dynamodb_validation)', async () => {
    const missing = await refusal(
      c.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: { taskId: { S: 't-6' } },
          ConditionExpression: 'taskToken = :absent',
        }),
      ),
    );
    expect(missing).toEqual({
      name: 'ValidationException',
      message:
        'Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :absent',
      status: 400,
    });
    expect(
      (
        await refusal(
          c.send(
            new DeleteItemCommand({
              TableName: TABLE,
              Key: { taskId: { S: 't-6' } },
              ConditionExpression: 'attribute_exists(#c)',
            }),
          ),
        )
      ).message,
    ).toBe(
      'Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #c',
    );
    expect(await get('t-6')).toBeUndefined();
  });

  it('pages a Scan by Limit and ExclusiveStartKey, with only the projected attributes (Scan API reference)', async () => {
    const seen: string[] = [];
    let start: Record<string, { S: string }> | undefined;
    let pages = 0;
    do {
      const page = await c.send(
        new ScanCommand({
          TableName: TABLE,
          Limit: 2,
          ExclusiveStartKey: start,
          ProjectionExpression: 'taskId, #n',
          ExpressionAttributeNames: { '#n': 'n' },
        }),
      );
      for (const item of page.Items ?? []) {
        expect(Object.keys(item).every((name) => name === 'taskId' || name === 'n')).toBe(true);
        seen.push(item.taskId?.S ?? '');
      }
      start = page.LastEvaluatedKey as typeof start;
      pages++;
    } while (start);
    expect(seen.sort()).toEqual(['t-1', 't-2', 't-3', 't-4', 't-fits']);
    expect(pages).toBe(3);
    expect((await refusal(c.send(new ScanCommand({ TableName: TABLE, Limit: 0 })))).message).toBe(
      "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
  });
});
