/**
 * A loopback EventBridge PutEvents for the real `@aws-sdk/client-eventbridge`: events are kept in
 * order so tests and the leak scan can read what the workflows announced.
 */
import { randomUUID } from 'node:crypto';
import { AwsServiceError, type RunningServer, startAwsJsonServer } from './aws-json-server.ts';

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

export async function startLocalEventBus(
  options: { port?: number } = {},
): Promise<RunningServer & { events: StoredEvent[] }> {
  const events: StoredEvent[] = [];
  const server = await startAwsJsonServer({
    targetPrefix: 'AWSEvents',
    jsonVersion: '1.1',
    port: options.port,
    operations: {
      PutEvents: (input: { Entries?: unknown }) => {
        if (!Array.isArray(input.Entries) || input.Entries.length < 1 || input.Entries.length > 10) {
          throw new AwsServiceError('ValidationException', 'Entries must hold 1 to 10 entries');
        }
        const results = (input.Entries as Entry[]).map((entry) => {
          const error = entryError(entry);
          if (error) return { ErrorCode: 'MalformedDetail', ErrorMessage: error };
          const stored: StoredEvent = {
            EventId: randomUUID(),
            Source: String(entry.Source),
            DetailType: String(entry.DetailType),
            Detail: String(entry.Detail),
            EventBusName: typeof entry.EventBusName === 'string' ? entry.EventBusName : 'default',
            Time: new Date().toISOString(),
          };
          events.push(stored);
          return { EventId: stored.EventId };
        });
        return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
      },
    },
  });
  return { ...server, events };
}
