/**
 * The shared kernel of the five workflows: what every step is given, and the helpers more than one
 * workflow uses. The domain knows nothing of Lambda: the handlers build these dependencies
 * (lambdas/handlers/runtime.ts), tests and the CLI build their own.
 */
import { CredentialStillValidError, RevocationUnprovenError, ValidationError } from './errors.ts';
import type { EventPublisher } from './events.ts';
import type { HoldEndSchedules } from './hold-ends.ts';
import type { TaskStore } from './operator-task-store.ts';
import {
  type AccessToken,
  provesRefusal,
  type Vendor,
  type VendorContext,
  type VerifyResult,
} from './products/vendor.ts';
import type { TargetDefinition } from './requests.ts';
import type { RotationSchedules } from './schedules.ts';
import { cidrCovers, MAX_TRUSTED_HOSTS } from './schemas.ts';
import type { CredentialStore } from './secrets.ts';

/** What every workflow step is given: the stores, the product adapters, events, the clock, schedules. */
export interface WorkflowDeps {
  readonly store: CredentialStore;
  /** The operator task records (the task tokens a person's answer goes to). */
  readonly tasks: TaskStore;
  /** A handler loads the adapter's module on first use; the CLI and tests may answer at once. */
  readonly vendorFor: (context: VendorContext) => Vendor | Promise<Vendor>;
  readonly events: EventPublisher;
  readonly now: () => Date;
  readonly schedules: RotationSchedules;
  /** A held credential's revocation at its hold's end. */
  readonly holdEnds: HoldEndSchedules;
  /** The addresses products see this system call from, when the stack knows them (PROVISIONER_EGRESS_ADDRESSES). */
  readonly egressAddresses?: readonly string[];
}

/**
 * The trusted hosts of an API user this system creates: the ones asked for, then each egress
 * address none of them covers, so the verify step and every later call come from a trusted host.
 * More than an API user can have is refused (a ValidationError: before any product call).
 */
export function withEgressAddresses(
  deps: Pick<WorkflowDeps, 'egressAddresses'>,
  trustedHosts: readonly string[],
  what: string,
): string[] {
  const egress = deps.egressAddresses ?? [];
  const added = egress.filter((address) => !trustedHosts.some((host) => cidrCovers(host, address)));
  const all = [...trustedHosts, ...added];
  if (all.length > MAX_TRUSTED_HOSTS) {
    throw new ValidationError(what, [
      `trustedHosts: ${trustedHosts.length} given and the provisioner's ${egress.length} egress addresses (${egress.join(', ')}) make ${all.length}, over the ${MAX_TRUSTED_HOSTS} trusted hosts an API user can have; give at most ${MAX_TRUSTED_HOSTS - added.length}`,
    ]);
  }
  return all;
}

/** The target a step acts on, and the adapter of its product. */
export async function vendorOf(
  deps: WorkflowDeps,
  targetName: string,
): Promise<{ vendor: Vendor; target: TargetDefinition }> {
  const target = await deps.store.loadTarget(targetName);
  return { vendor: await deps.vendorFor({ target }), target };
}

/**
 * Token-broker products: the bearer token a verification minted becomes the one consumers read (the
 * product may keep only one live token per user, so the one minted last is the one that works),
 * under its staging label in the credential's own secret (CredentialStore.putAccessToken).
 */
export async function keepAccessToken(
  deps: Pick<WorkflowDeps, 'store' | 'now'>,
  secretName: string,
  token: AccessToken,
): Promise<void> {
  await deps.store.putAccessToken(secretName, {
    accessToken: token.token,
    expiresAt: token.expiresAt,
    mintedAt: deps.now().toISOString(),
  });
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
