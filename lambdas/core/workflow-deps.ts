/**
 * The shared kernel of the five workflows: what every step is given, and the helpers more than one
 * workflow uses. The domain knows nothing of Lambda: the handlers build these dependencies
 * (lambdas/handlers/runtime.ts), tests and the CLI build their own.
 */
import { CredentialStillValidError, RevocationUnprovenError } from './errors.ts';
import type { EventPublisher } from './events.ts';
import {
  type AccessToken,
  provesRefusal,
  type Vendor,
  type VendorContext,
  type VerifyResult,
} from './products/vendor.ts';
import type { TargetDefinition } from './requests.ts';
import type { RotationSchedules } from './schedules.ts';
import type { CredentialStore } from './secrets.ts';

/** What every workflow step is given: the store, the product adapters, events, the clock, schedules. */
export interface WorkflowDeps {
  readonly store: CredentialStore;
  readonly vendorFor: (context: VendorContext) => Vendor;
  readonly events: EventPublisher;
  readonly now: () => Date;
  readonly schedules: RotationSchedules;
}

/** The target a step acts on, and the adapter of its product. */
export async function vendorOf(
  deps: WorkflowDeps,
  targetName: string,
): Promise<{ vendor: Vendor; target: TargetDefinition }> {
  const target = await deps.store.loadTarget(targetName);
  return { vendor: deps.vendorFor({ target }), target };
}

/**
 * Token-broker products: the bearer token a verification minted becomes the one consumers read (the
 * product may keep only one live token per user, so the one minted last is the one that works).
 */
export async function keepAccessToken(
  deps: Pick<WorkflowDeps, 'store' | 'now'>,
  secretName: string,
  token: AccessToken,
  tags: Record<string, string>,
): Promise<void> {
  await deps.store.putAccessToken(
    secretName,
    { accessToken: token.token, expiresAt: token.expiresAt, mintedAt: deps.now().toISOString() },
    tags,
  );
}

/**
 * A credential that should be dead must be refused by its product: an acceptance is
 * `CredentialStillValid`, an inconclusive answer `RevocationUnproven` (never a proof); the workflows
 * retry both, then report them. `credential` names it for the message, e.g. "the credential of bot".
 */
export function requireRefusal(answer: VerifyResult, target: string, credential: string): void {
  if (provesRefusal(answer)) return;
  if (answer.outcome === 'inconclusive') {
    throw new RevocationUnprovenError(
      `${target} answers inconclusively for ${credential}: ${answer.reason ?? 'no reason given'}`,
    );
  }
  throw new CredentialStillValidError(`${target} still accepts ${credential}`);
}
