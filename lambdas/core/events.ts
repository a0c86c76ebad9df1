/**
 * Domain events on EventBridge. Details carry names, ARNs and ids only, never key material:
 * the detail types below are the whole public contract.
 */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { RetryableError } from './errors.ts';

export const EVENT_SOURCE = 'credential-provisioner';

export interface CredentialEventDetail {
  readonly target: string;
  readonly apiUser: string;
  readonly owner: string;
  readonly ticket: string;
  readonly requestId: string;
  readonly secretArn?: string;
  readonly versionId?: string;
  readonly error?: string;
  readonly reason?: string;
}

export type CredentialEventType = 'credential.provisioned' | 'credential.provision-failed';

export interface EventPublisher {
  publish(type: CredentialEventType, detail: CredentialEventDetail): Promise<void>;
}

export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName = 'default',
  ) {}

  async publish(type: CredentialEventType, detail: CredentialEventDetail): Promise<void> {
    const answer = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: EVENT_SOURCE,
            DetailType: type,
            Detail: JSON.stringify(detail),
            EventBusName: this.busName,
          },
        ],
      }),
    );
    if ((answer.FailedEntryCount ?? 0) > 0) {
      const code = answer.Entries?.[0]?.ErrorCode ?? 'unknown';
      throw new RetryableError(`EventBridge refused the ${type} event (${code})`);
    }
  }
}
