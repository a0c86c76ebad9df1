/**
 * A loopback EventBridge PutEvents for the real `@aws-sdk/client-eventbridge`: events are kept in
 * order so tests and the leak scan can read what the workflows announced, and each event is
 * delivered, as EventBridge does, to the Lambda targets of the stack's rules whose pattern it matches,
 * and their SNS topic targets' messages (input transformers applied) are kept in `notifications`.
 */
import { randomUUID } from 'node:crypto';
import {
  type AwsJsonCall,
  AwsServiceError,
  type RunningServer,
  startAwsJsonServer,
} from './aws-json-server.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './endpoints.ts';
import { type InputTransformer, transformInput } from './input-transformer.ts';

export interface StoredEvent {
  readonly EventId: string;
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly EventBusName: string;
  readonly Time: string;
}

interface Entry {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  EventBusName?: unknown;
  Time?: unknown;
  Resources?: unknown;
}

/**
 * PutEvents takes at most 1 MB of entries in one request (1 MB since 29 January 2026, 256 KB before:
 * AWS Compute Blog, "More room to build: serverless services now support payloads up to 1 MB"), an
 * entry's size counted as the user guide's "Calculating PutEvents event entry size" counts it: 14
 * bytes for a Time, and the UTF-8 bytes of Source, DetailType, Detail and each Resource. Over it,
 * the whole request is refused, nothing is put (ValidationException "Total size of the entries in
 * the request is over the limit.", as AWS answered a request of 1,048,577 bytes in a measurement
 * published 2026-03-28, and as moto words it).
 */
const PUT_EVENTS_MAX_BYTES = 1_048_576;

function entrySize(entry: Entry): number {
  const text = (value: unknown) => (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  const resources = Array.isArray(entry.Resources) ? entry.Resources : [];
  return (
    (entry.Time === undefined ? 0 : 14) +
    text(entry.Source) +
    text(entry.DetailType) +
    text(entry.Detail) +
    resources.reduce((total: number, resource: unknown) => total + text(resource), 0)
  );
}

function entryError(entry: Entry): string | undefined {
  if (typeof entry.Source !== 'string' || !entry.Source) return 'Source is required';
  if (typeof entry.DetailType !== 'string' || !entry.DetailType) return 'DetailType is required';
  if (typeof entry.Detail !== 'string') return 'Detail is required';
  try {
    const detail = JSON.parse(entry.Detail) as unknown;
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail))
      return 'Detail must be a JSON object';
  } catch {
    return 'Detail is malformed.';
  }
  return undefined;
}

/** A rule as local/synth.ts reads it from the template. */
export interface LocalRule {
  readonly name: string;
  readonly arn: string;
  readonly eventPattern: Record<string, unknown>;
  readonly handlerIds: readonly string[];
  /** A rule sees only the events of its own bus (EventBridge User Guide, "Rules in Amazon EventBridge"). */
  readonly eventBusName: string;
  /** Its SNS topic targets (the alerts), each with the input transformer that writes the message. */
  readonly topics: readonly { readonly topicArn: string; readonly inputTransformer?: InputTransformer }[];
}

/** What a rule handed an SNS topic: the local sink stands for the topic's subscribers. */
export interface TopicNotification {
  readonly rule: string;
  readonly topicArn: string;
  readonly message: string;
}

/** The event as EventBridge hands it to a target. */
export interface DeliveredEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: unknown;
}

/**
 * EventBridge content filtering for the operators the stack uses: a list of exact values (any may
 * match; against an array field, any element), `{prefix}`, and nested objects for nested fields.
 */
function matchesPattern(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([field, expected]) => {
    const actual = event[field];
    if (Array.isArray(expected)) {
      const values = Array.isArray(actual) ? actual : [actual];
      return expected.some((option) =>
        values.some((value) => {
          if (option && typeof option === 'object' && 'prefix' in option)
            return (
              typeof value === 'string' && value.startsWith(String((option as { prefix: unknown }).prefix))
            );
          return value === option;
        }),
      );
    }
    if (expected && typeof expected === 'object') {
      return (
        !!actual &&
        typeof actual === 'object' &&
        matchesPattern(expected as Record<string, unknown>, actual as Record<string, unknown>)
      );
    }
    return false;
  });
}

export async function startLocalEventBus(
  options: {
    port?: number;
    rules?: readonly LocalRule[];
    /** Delivers a matched event to a rule's target (asynchronously, as EventBridge does). */
    deliver?: (handlerId: string, event: DeliveredEvent, ruleArn: string) => Promise<unknown>;
    region?: string;
    authorize?: (call: AwsJsonCall) => void;
  } = {},
): Promise<
  RunningServer & {
    events: StoredEvent[];
    deliveries: Promise<unknown>[];
    notifications: TopicNotification[];
  }
> {
  const events: StoredEvent[] = [];
  const deliveries: Promise<unknown>[] = [];
  const notifications: TopicNotification[] = [];
  const route = (stored: StoredEvent) => {
    const event: DeliveredEvent = {
      version: '0',
      id: stored.EventId,
      'detail-type': stored.DetailType,
      source: stored.Source,
      account: LOCAL_ACCOUNT_ID,
      time: stored.Time,
      region: options.region ?? LOCAL_REGION,
      resources: [],
      detail: JSON.parse(stored.Detail) as unknown,
    };
    for (const rule of options.rules ?? []) {
      if (rule.eventBusName !== stored.EventBusName) continue;
      if (!matchesPattern(rule.eventPattern, event as unknown as Record<string, unknown>)) continue;
      for (const handlerId of rule.handlerIds) {
        // A failed delivery is kept (settled) for the test that awaits it, never thrown at the sender.
        deliveries.push(
          Promise.resolve(options.deliver?.(handlerId, event, rule.arn)).catch((error: unknown) => error),
        );
      }
      // Without a transformer a target receives the whole event as JSON.
      for (const { topicArn, inputTransformer } of rule.topics) {
        const message = inputTransformer ? transformInput(inputTransformer, event) : JSON.stringify(event);
        notifications.push({ rule: rule.arn, topicArn, message });
      }
    }
  };
  const server = await startAwsJsonServer({
    targetPrefix: 'AWSEvents',
    jsonVersion: '1.1',
    // The request's JSON (escapes, field names, up to 10 entries) comes on top of the counted size.
    maxBodyBytes: 2 * PUT_EVENTS_MAX_BYTES,
    port: options.port,
    authorize: options.authorize,
    operations: {
      PutEvents: (input: { Entries?: unknown }) => {
        if (!Array.isArray(input.Entries) || input.Entries.length < 1 || input.Entries.length > 10) {
          throw new AwsServiceError('ValidationException', 'Entries must hold 1 to 10 entries');
        }
        const size = (input.Entries as Entry[]).reduce((total, entry) => total + entrySize(entry), 0);
        if (size > PUT_EVENTS_MAX_BYTES) {
          throw new AwsServiceError(
            'ValidationException',
            'Total size of the entries in the request is over the limit.',
          );
        }
        const results = (input.Entries as Entry[]).map((entry) => {
          const error = entryError(entry);
          if (error) return { ErrorCode: 'MalformedDetail', ErrorMessage: error };
          const stored: StoredEvent = {
            EventId: randomUUID(),
            Source: String(entry.Source),
            DetailType: String(entry.DetailType),
            Detail: String(entry.Detail),
            // A bus is named by its name or its ARN (PutEventsRequestEntry, EventBusName).
            EventBusName:
              typeof entry.EventBusName === 'string'
                ? entry.EventBusName.replace(/^arn:aws[-a-z]*:events:[^:]*:\d{12}:event-bus\//, '')
                : 'default',
            Time: new Date().toISOString(),
          };
          events.push(stored);
          route(stored);
          return { EventId: stored.EventId };
        });
        return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
      },
    },
  });
  return { ...server, events, deliveries, notifications };
}
