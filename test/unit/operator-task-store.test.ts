/**
 * The operator task records against the local DynamoDB (local/dynamodb.ts): a retried step
 * rewrites its task, another request cannot take it over, closing an answered task leaves one a
 * retried step reopened, listing never reads a token, and TTL takes a record days after its deadline.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OperatorTaskRecord, TASK_RECORD_RETENTION_DAYS, TaskStore } from '#core/operator-task-store.ts';
import { startLocalDynamoDb } from '#local/dynamodb.ts';
import { failure } from '../failure.ts';

const TABLE = 'credential-provisioner-tasks';
const OPENED = new Date('2026-12-01T10:00:00Z');
let ddb: Awaited<ReturnType<typeof startLocalDynamoDb>>;
let client: DynamoDBClient;
let tasks: TaskStore;

const record = (taskId: string, over: Partial<OperatorTaskRecord> = {}): OperatorTaskRecord => ({
  taskId,
  action: 'issue',
  taskToken: `token-of-${taskId}-first`,
  requestId: taskId,
  secretName: `provisioner/flex/${taskId}`,
  secretArn: `arn:aws:secretsmanager:us-east-1:000000000000:secret:provisioner/flex/${taskId}-Ab12Cd`,
  vendor: 'fortiflex',
  target: 'flex',
  apiUser: taskId,
  owner: 'alice@example.com',
  ticket: 'CHG-1',
  deadline: '2026-12-04T10:00:00.000Z',
  acknowledgeBy: '2026-12-02T10:00:00.000Z',
  instructions: {
    summary: 'Create an API user',
    steps: ['Open the portal', 'Download the file'],
    expects: 'the CSV',
  },
  ...over,
});

describe('TaskStore', () => {
  beforeAll(async () => {
    ddb = await startLocalDynamoDb({ tables: [{ name: TABLE, partitionKey: 'taskId' }] });
    client = new DynamoDBClient({
      endpoint: ddb.url,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    tasks = new TaskStore(client, TABLE);
  });
  afterAll(async () => {
    client.destroy();
    await ddb.close();
  });

  it('keeps a record as opened, and a retried step of the same request rewrites it with the newest token', async () => {
    await tasks.put(record('prov-1'), OPENED);
    expect(await tasks.read('prov-1')).toEqual(record('prov-1'));
    await tasks.put(record('prov-1', { taskToken: 'token-of-prov-1-retried' }), OPENED);
    expect((await tasks.read('prov-1'))?.taskToken).toBe('token-of-prov-1-retried');
    expect(await tasks.read('prov-none')).toBeUndefined();
  });

  it('refuses to let another request take over a waiting task, and keeps it', async () => {
    await tasks.put(record('prov-2'), OPENED);
    const refused = await failure(
      tasks.put(record('prov-2', { requestId: 'other-request', taskToken: 'other-token' }), OPENED),
    );
    expect(refused.name).toBe('Conflict');
    expect(refused.message).toBe('operator task prov-2 already waits for another request than other-request');
    expect((await tasks.read('prov-2'))?.taskToken).toBe('token-of-prov-2-first');
  });

  it('closes an answered task, but not one a retried step reopened under a newer token', async () => {
    await tasks.put(record('prov-3', { taskToken: 'newer' }), OPENED);
    await tasks.delete('prov-3', 'older');
    expect((await tasks.read('prov-3'))?.taskToken).toBe('newer');
    await tasks.delete('prov-3', 'newer');
    expect(await tasks.read('prov-3')).toBeUndefined();
    // The compensation's delete needs no token, and a task already gone is no error.
    await tasks.put(record('prov-4'), OPENED);
    await tasks.delete('prov-4');
    await tasks.delete('prov-4');
    expect(await tasks.read('prov-4')).toBeUndefined();
  });

  it('lists summaries with the time opened, reading no task token', async () => {
    const listed = await tasks.list();
    expect(listed.map((t) => t.taskId).sort()).toEqual(['prov-1', 'prov-2']);
    expect(listed[0]).toEqual({
      taskId: listed[0]?.taskId,
      target: 'flex',
      vendor: 'fortiflex',
      ticket: 'CHG-1',
      deadline: '2026-12-04T10:00:00.000Z',
      openedAt: OPENED,
    });
  });

  it(`stores a TTL of the deadline plus ${TASK_RECORD_RETENTION_DAYS} days, in epoch seconds`, () => {
    const stored = ddb.dynamoDb.allWrittenItems().find((item) => item.taskId?.S === 'prov-1');
    expect(stored?.expiresAt).toEqual({
      N: String(Date.parse('2026-12-04T10:00:00Z') / 1000 + TASK_RECORD_RETENTION_DAYS * 86_400),
    });
  });
});
