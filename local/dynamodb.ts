/**
 * A loopback DynamoDB for the real `@aws-sdk/client-dynamodb` (AWS JSON 1.0,
 * `X-Amz-Target: DynamoDB_20120810.<Operation>`), serving the tables the stack's template defines
 * (partition key only). It models what the operator task records rely on, with AWS's answers
 * (`dynamodb/errors.ts`): PutItem, GetItem and DeleteItem with ConditionExpression, Scan with
 * Limit, ExclusiveStartKey and ProjectionExpression, the key schema, the 400 KB item limit. Reads
 * are always consistent; a TTL attribute is kept like any other, and expiry is not simulated
 * (docs/embedded-default.md, DynamoDB).
 */
import { type AwsJsonCall, type RunningServer, startAwsJsonServer } from './aws-json-server.ts';
import {
  conditionFailed,
  constraintViolated,
  invalidParameter,
  itemTooLarge,
  keyMismatch,
  keyTypeMismatch,
  missingKey,
  tableNotFound,
} from './dynamodb/errors.ts';
import {
  type AttributeValue,
  ExpressionPlaceholders,
  type Item,
  parseCondition,
  parseProjection,
} from './dynamodb/expressions.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './endpoints.ts';
import { resolveTemplateValue, type TemplateResources } from './synth.ts';

export interface LocalTableDefinition {
  readonly name: string;
  /** The partition key's attribute name; its type is S (string), the only one the stack uses. */
  readonly partitionKey: string;
  /** The customer managed key the table is encrypted with (SSESpecification), if any. */
  readonly kmsKeyArn?: string;
}

/** The tables a template defines (`AWS::DynamoDB::Table` with a TableName and a HASH key). */
export function tablesOf(template: TemplateResources): LocalTableDefinition[] {
  const resolved = (value: unknown, where: string) => resolveTemplateValue(value, template, where);
  return Object.entries(template).flatMap(([logicalId, resource]) => {
    if (resource.Type !== 'AWS::DynamoDB::Table') return [];
    const props = resource.Properties ?? {};
    const hash = (props.KeySchema as { AttributeName: string; KeyType: string }[] | undefined)?.find(
      (k) => k.KeyType === 'HASH',
    );
    if (typeof props.TableName !== 'string' || !hash)
      throw new Error(`table ${logicalId} needs a TableName and a HASH key to be served locally`);
    const key = (props.SSESpecification as { KMSMasterKeyId?: unknown } | undefined)?.KMSMasterKeyId;
    return [
      {
        name: props.TableName,
        partitionKey: hash.AttributeName,
        ...(key === undefined ? {} : { kmsKeyArn: String(resolved(key, logicalId)) }),
      },
    ];
  });
}

/** "The maximum item size in DynamoDB is 400 KB" (Developer Guide, "Item sizes and formats"). */
const MAX_ITEM_BYTES = 400 * 1024;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * An attribute value's size as the Developer Guide's "Item sizes and formats" counts it: strings
 * in UTF-8 bytes, numbers one byte per two significant digits plus one, binary in bytes, a
 * Boolean or null one byte, a list or map 3 bytes plus one per element (and a map's names).
 */
function sizeOf(value: AttributeValue): number {
  const [type, inner] = Object.entries(value)[0] ?? [];
  switch (type) {
    case 'S':
      return utf8(String(inner));
    case 'N':
      return (
        Math.ceil(
          String(inner)
            .replace(/[^0-9]/g, '')
            .replace(/^0+/, '').length / 2,
        ) + 1
      );
    case 'B':
      return Buffer.from(String(inner), 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
    case 'NS':
    case 'BS':
      return (inner as string[]).reduce((sum, element) => sum + sizeOf({ [type.slice(0, 1)]: element }), 0);
    case 'L':
      return (inner as AttributeValue[]).reduce((sum, element) => sum + 1 + sizeOf(element), 3);
    case 'M':
      return 3 + itemSize(inner as Item) + Object.keys(inner as Item).length;
    default:
      throw invalidParameter(`Supplied AttributeValue has no recognised type: ${JSON.stringify(value)}`);
  }
}

function itemSize(item: Item): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + sizeOf(value), 0);
}

const typeOf = (value: AttributeValue | undefined) => Object.keys(value ?? {})[0] ?? 'none';

class Table {
  readonly items = new Map<string, Item>();
  constructor(readonly definition: LocalTableDefinition) {}

  /** A Key parameter: exactly the partition key, a string (moto, aws_verified: extra or other names are a mismatch). */
  keyOf(key: unknown): string {
    const entries = key && typeof key === 'object' ? Object.entries(key as Item) : [];
    const [name, value] = entries[0] ?? [];
    if (entries.length !== 1 || name !== this.definition.partitionKey || typeof value?.S !== 'string')
      throw keyMismatch();
    return value.S;
  }

  /** An Item parameter's key, checked as PutItem checks it. */
  keyOfItem(item: Item): string {
    const { partitionKey } = this.definition;
    const value = item[partitionKey];
    if (value === undefined) throw missingKey(partitionKey);
    if (typeof value.S !== 'string') throw keyTypeMismatch(partitionKey, 'S', typeOf(value));
    return value.S;
  }
}

function itemOf(value: unknown): Item {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw invalidParameter(
      "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null",
    );
  return value as Item;
}

export class LocalDynamoDb {
  private readonly tables = new Map<string, Table>();
  private readonly written: Item[] = [];

  constructor(
    tables: readonly LocalTableDefinition[],
    private readonly region = LOCAL_REGION,
  ) {
    for (const definition of tables) this.tables.set(definition.name, new Table(definition));
  }

  tableArn(name: string): string {
    return `arn:aws:dynamodb:${this.region}:${LOCAL_ACCOUNT_ID}:table/${name}`;
  }

  /** The key a table is encrypted with, if it is a table here under a customer managed key. */
  kmsKeyOf(name: string): string | undefined {
    return this.tables.get(name)?.definition.kmsKeyArn;
  }

  /** Every item ever written, deleted or replaced ones included: the leak scan collects task tokens from them. */
  allWrittenItems(): Item[] {
    return [...this.written];
  }

  readonly operations = {
    PutItem: (input: Record<string, unknown>) => {
      const table = this.table(input.TableName);
      const item = itemOf(input.Item);
      const key = table.keyOfItem(item);
      if (itemSize(item) > MAX_ITEM_BYTES) throw itemTooLarge();
      this.checkCondition(input, table.items.get(key));
      table.items.set(key, item);
      this.written.push(item);
      return {};
    },
    GetItem: (input: Record<string, unknown>) => {
      const table = this.table(input.TableName);
      const placeholders = placeholdersOf(input);
      const keep = optionalProjection(input, placeholders);
      placeholders.assertAllUsed();
      const item = table.items.get(table.keyOf(input.Key));
      return item ? { Item: projected(item, keep) } : {};
    },
    DeleteItem: (input: Record<string, unknown>) => {
      const table = this.table(input.TableName);
      const key = table.keyOf(input.Key);
      this.checkCondition(input, table.items.get(key));
      table.items.delete(key);
      return {};
    },
    Scan: (input: Record<string, unknown>) => {
      const table = this.table(input.TableName);
      const limit = input.Limit;
      if (limit !== undefined && (!Number.isInteger(limit) || (limit as number) < 1))
        throw constraintViolated(limit, 'limit', 'Member must have value greater than or equal to 1');
      const placeholders = placeholdersOf(input);
      const keep = optionalProjection(input, placeholders);
      placeholders.assertAllUsed();
      // In key order here; AWS's order is its own but stable across pages, which is what paging needs.
      const keys = [...table.items.keys()].sort();
      const after = input.ExclusiveStartKey === undefined ? undefined : table.keyOf(input.ExclusiveStartKey);
      const remaining = after === undefined ? keys : keys.filter((k) => k > after);
      const page = remaining.slice(0, (limit as number | undefined) ?? remaining.length);
      const items = page.map((k) => projected(table.items.get(k) as Item, keep));
      const last = page.at(-1);
      return {
        Items: items,
        Count: items.length,
        ScannedCount: items.length,
        // Present whenever the Limit stopped the page (Scan API reference, LastEvaluatedKey).
        ...(limit !== undefined && page.length === limit && last !== undefined
          ? { LastEvaluatedKey: { [table.definition.partitionKey]: { S: last } } }
          : {}),
      };
    },
  };

  private table(name: unknown): Table {
    const table = typeof name === 'string' ? this.tables.get(name) : undefined;
    if (!table) throw tableNotFound();
    return table;
  }

  /** A write's ConditionExpression, evaluated on the item before the write; failed, nothing changes. */
  private checkCondition(input: Record<string, unknown>, current: Item | undefined): void {
    const placeholders = placeholdersOf(input);
    const condition =
      typeof input.ConditionExpression === 'string'
        ? parseCondition(input.ConditionExpression, placeholders)
        : undefined;
    placeholders.assertAllUsed();
    if (condition && !condition(current)) throw conditionFailed();
  }
}

function placeholdersOf(input: Record<string, unknown>): ExpressionPlaceholders {
  return new ExpressionPlaceholders(
    input.ExpressionAttributeNames as Record<string, string> | undefined,
    input.ExpressionAttributeValues as Record<string, AttributeValue> | undefined,
  );
}

function optionalProjection(input: Record<string, unknown>, placeholders: ExpressionPlaceholders) {
  return typeof input.ProjectionExpression === 'string'
    ? parseProjection(input.ProjectionExpression, placeholders)
    : undefined;
}

function projected(item: Item, keep: ReadonlySet<string> | undefined): Item {
  return keep ? Object.fromEntries(Object.entries(item).filter(([name]) => keep.has(name))) : item;
}

export async function startLocalDynamoDb(options: {
  readonly tables: readonly LocalTableDefinition[];
  readonly port?: number;
  /** IAM for this endpoint's calls (local/iam/service-authorizers.ts). */
  readonly authorize?: (dynamoDb: LocalDynamoDb) => (call: AwsJsonCall) => void;
}): Promise<RunningServer & { dynamoDb: LocalDynamoDb }> {
  const dynamoDb = new LocalDynamoDb(options.tables);
  const server = await startAwsJsonServer({
    targetPrefix: 'DynamoDB_20120810',
    jsonVersion: '1.0',
    operations: dynamoDb.operations,
    port: options.port,
    authorize: options.authorize?.(dynamoDb),
  });
  return { ...server, dynamoDb };
}
