/**
 * The local EventBridge answers PutEvents as AWS does: each expectation names its source.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalEventBus } from '#local/event-bus.ts';

const running: { close(): Promise<void>; client: EventBridgeClient }[] = [];

async function bus() {
  const server = await startLocalEventBus();
  const client = new EventBridgeClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  running.push({ close: () => server.close(), client });
  return { server, client };
}

afterEach(async () => {
  for (const { close, client } of running.splice(0)) {
    client.destroy();
    await close();
  }
});

/** An entry of exactly `bytes` as EventBridge counts them: Source, DetailType and Detail in UTF-8. */
function entryOf(bytes: number): PutEventsRequestEntry {
  const Source = 'test.payload';
  const DetailType = 'PayloadSizeTest';
  const frame = Buffer.byteLength(Source) + Buffer.byteLength(DetailType) + '{"p":""}'.length;
  return { Source, DetailType, Detail: JSON.stringify({ p: 'x'.repeat(bytes - frame) }) };
}

describe('PutEvents size (user guide, "Calculating PutEvents event entry size"; 1 MB since 29 January 2026)', () => {
  it('entries of 1,048,576 bytes are put; one byte more and the request is refused, nothing put', async () => {
    // Source: AWS Compute Blog, "More room to build: serverless services now support payloads up to
    // 1 MB" (EventBridge event buses, 256 KB before); the answer to 1,048,577 bytes,
    // ValidationException "Total size of the entries in the request is over the limit.", as measured
    // against AWS in a lab published 2026-03-28 (1,048,576 bytes accepted) and as moto words it.
    const { server, client } = await bus();
    // Act
    const atLimit = await client.send(new PutEventsCommand({ Entries: [entryOf(1_048_576)] }));
    const over = client.send(new PutEventsCommand({ Entries: [entryOf(600_000), entryOf(448_577)] }));
    // Assess
    expect(atLimit.FailedEntryCount).toBe(0);
    await expect(over).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Total size of the entries in the request is over the limit.',
      $metadata: { httpStatusCode: 400 },
    });
    expect(server.events).toHaveLength(1);
  });
});
