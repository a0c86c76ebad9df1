/**
 * The directory (an HR system outside the stack) announcing a person's deactivation as it does in
 * a deployment: PutEvents of `provisioner.directory` / `User Deactivated` to the stack's own
 * directory bus, whose policy lets the account's administrator put there
 * (lib/triggers/directory-bus.ts). The stack's rule starts the revocation.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { eventBridgeClient } from '#core/aws-clients.ts';
import { DEFAULT_STACK_NAME, physicalNames } from '#core/names.ts';
import type { LocalEnvironment } from './environment.ts';
import { ADMINISTRATOR_ACCESS_KEY_ID } from './iam/account.ts';

/** Publishes the deactivation; resolves with the ARN of the revoke execution the rule started. */
export async function publishDirectoryDeactivation(
  env: LocalEnvironment,
  deactivation: { readonly eventId: string; readonly userId: string },
): Promise<string> {
  const bus = eventBridgeClient({
    region: env.endpoints.region,
    endpoint: env.endpoints.eventBridge,
    credentials: { accessKeyId: ADMINISTRATOR_ACCESS_KEY_ID, secretAccessKey: 'local' },
  });
  // Only this event's deliveries are read below.
  await Promise.all(env.eventBus.deliveries.splice(0));
  try {
    await bus.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: physicalNames(DEFAULT_STACK_NAME).directoryBus,
            Source: 'provisioner.directory',
            DetailType: 'User Deactivated',
            Detail: JSON.stringify({ ...deactivation, reason: 'left the company' }),
          },
        ],
      }),
    );
  } finally {
    bus.destroy();
  }
  const [started] = await Promise.all(env.eventBus.deliveries.splice(0));
  const executionArn = (started as { executionArn?: unknown } | undefined)?.executionArn;
  if (typeof executionArn !== 'string')
    throw new Error(`the deactivation of ${deactivation.userId} started no revocation: ${String(started)}`);
  return executionArn;
}
