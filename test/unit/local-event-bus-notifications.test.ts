/**
 * Issue 16, item 7: the local EventBridge delivers the alert rules' transformed messages to a local
 * sink, as EventBridge hands them to the SNS topic. What an input transformer produces follows AWS's
 * recorded answers: LocalStack's AWS-validated snapshot
 * tests/aws/services/events/test_events_inputs.snapshot.json
 * (`test_put_events_with_input_transformation_to_sqs`: a quoted template arrives with its quotes; a
 * path the event lacks inserts nothing) and the EventBridge user guide, "Amazon EventBridge input
 * transformation" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html).
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalEventBus } from '#local/event-bus.ts';
import { transformInput } from '#local/input-transformer.ts';
import { synthesizeRules } from '#local/synth.ts';

const EVENT = {
  version: '0',
  id: 'event-1',
  'detail-type': 'customerCreated',
  source: 'test',
  account: '000000000000',
  time: 'date',
  region: 'us-east-1',
  resources: [],
  detail: { command: 'display-message', count: 2, nested: { a: 'b' } },
};

describe('transformInput', () => {
  it('fills a quoted template and keeps its quotes, as the recorded SQS body shows', () => {
    // Act
    const message = transformInput(
      {
        InputPathsMap: { 'detail-type': '$.detail-type', timestamp: '$.time', command: '$.detail.command' },
        InputTemplate:
          '"Event of <detail-type> type, at time <timestamp>, info extracted from detail <command>"',
      },
      EVENT,
    );
    // Assess
    expect(message).toBe(
      '"Event of customerCreated type, at time date, info extracted from detail display-message"',
    );
  });

  it('inserts nothing for a path the event does not have', () => {
    // Act
    const message = transformInput(
      {
        InputPathsMap: { 'detail-type': '$.detail-type', command: '$.detail.notinmessage' },
        InputTemplate: '"Event of <detail-type> type, info extracted from detail <command>"',
      },
      EVENT,
    );
    // Assess
    expect(message).toBe('"Event of customerCreated type, info extracted from detail "');
  });

  it('inserts a value that is not a string as JSON', () => {
    // Act
    const message = transformInput(
      {
        InputPathsMap: { count: '$.detail.count', nested: '$.detail.nested' },
        InputTemplate: '{"count": <count>, "nested": <nested>}',
      },
      EVENT,
    );
    // Assess
    expect(JSON.parse(message)).toEqual({ count: 2, nested: { a: 'b' } });
  });
});

describe('the local event bus', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it("hands the alert topic the synthesized rule's message for a failed rotation, with the reason", async () => {
    // Prepare
    const bus = await startLocalEventBus({ rules: synthesizeRules() });
    close = bus.close;
    const client = new EventBridgeClient({
      region: 'us-east-1',
      endpoint: bus.url,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const detail = {
      target: 'fgt-lab',
      apiUser: 'alice-ro',
      owner: 'alice@example.com',
      ticket: 'CHG-1',
      error: 'FatalError',
      reason: 'the current key is untouched: FortiOS refused the twin user (HTTP 500)',
    };
    // Act
    await client.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'credential-provisioner',
            DetailType: 'credential.rotation-failed',
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
    client.destroy();
    // Assess
    expect(bus.notifications).toEqual([
      {
        rule: expect.stringMatching(/^arn:aws:events:us-east-1:000000000000:rule\/.*RotationFailed/),
        topicArn: expect.stringMatching(/^arn:aws:sns:us-east-1:000000000000:.*AlertsTopic/),
        message:
          '"Rotation of alice-ro on fgt-lab failed (owner alice@example.com, ticket CHG-1): FatalError,' +
          ' the current key is untouched: FortiOS refused the twin user (HTTP 500).' +
          ' Fix the cause, then run:' +
          ' provisioner rotate --target fgt-lab --api-user alice-ro"',
      },
    ]);
  }, 180_000); // synthesizing the stack takes most of it on a loaded machine
});
