/**
 * What an owner's revocation does to each credential it finds (docs/target-policy.md#ownership):
 * one pure decision, so the revoke workflow and a plan of it answer alike.
 *
 * "Others use it": a person's credential requested with `shared: true` (tag `provisioner:shared`),
 * or one with consumers (IAM roles its resource policy lets read it, lambdas/core/consumer-access.ts:
 * machines other than its owner). A team's credential is never found by a member's revocation (its
 * owner tag is the team), so it needs no decision there; it is revoked when the team is deleted.
 */
import { TAG } from './names.ts';
import type { SharedOffboarding } from './products/policy.ts';
import { ownerKind } from './schemas.ts';

export type OffboardingDecision =
  | { readonly action: 'revoke'; readonly reason: string }
  | {
      readonly action: 'hold';
      readonly heldUntil: string;
      /** False when an earlier revocation already held it: no second notice, the same end. */
      readonly newlyHeld: boolean;
      readonly reason: string;
    };

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whether others use a person's credential, and why: `shared`, else its consumers; undefined for neither. */
function whyOthersUse(tags: Readonly<Record<string, string>>, consumers: number): string | undefined {
  if (tags[TAG.shared] === 'true') return 'shared credential';
  if (consumers > 0) return `read by ${consumers} consumer role${consumers === 1 ? '' : 's'}`;
  return undefined;
}

/**
 * Revoke now, or hold: a person's credential others use, on a target whose policy holds them, stays
 * usable `holdDays` from its first hold; once that has passed, a revocation takes it.
 */
export function offboardingDecision(input: {
  readonly tags: Readonly<Record<string, string>>;
  /** The target policy's `offboarding.shared` (absent: revoke). */
  readonly shared: SharedOffboarding | undefined;
  /** How many consumer roles may read the credential (its resource policy). */
  readonly consumers: number;
  readonly now: Date;
}): OffboardingDecision {
  const { tags, shared, now } = input;
  if (ownerKind(tags[TAG.owner] ?? '') === 'team') return { action: 'revoke', reason: 'team credential' };
  const why = whyOthersUse(tags, input.consumers);
  if (why === undefined) return { action: 'revoke', reason: 'personal credential' };
  const heldUntil = tags[TAG.heldUntil];
  if (heldUntil !== undefined) {
    const end = Date.parse(heldUntil);
    if (Number.isNaN(end))
      return {
        action: 'revoke',
        reason: `${why}: its held-until tag (${JSON.stringify(heldUntil.slice(0, 40))}) is not a date`,
      };
    return end <= now.getTime()
      ? { action: 'revoke', reason: `${why}: its hold ended ${heldUntil}` }
      : { action: 'hold', heldUntil, newlyHeld: false, reason: `${why}: held until ${heldUntil}` };
  }
  if (!holds(shared))
    return { action: 'revoke', reason: `${why}: the target's offboarding policy revokes it` };
  return {
    action: 'hold',
    heldUntil: new Date(now.getTime() + shared.holdDays * DAY_MS).toISOString(),
    newlyHeld: true,
    reason: `${why}: the target's offboarding policy holds it ${shared.holdDays} days`,
  };
}

/**
 * Whether a target's policy holds what others use. Only then do a credential's consumers change
 * its decision, so only then are they read (one GetResourcePolicy per credential).
 */
function holds(shared: SharedOffboarding | undefined): shared is { readonly holdDays: number } {
  return shared !== undefined && shared !== 'revoke';
}

/**
 * The consumer count `offboardingDecision` takes for one credential, read only where it can matter
 * (a person's credential not already `shared`, on a target that holds); 0 elsewhere.
 */
export async function consumerCount(
  readAccess: (secretArn: string) => Promise<{ consumers: readonly string[] } | undefined>,
  secret: { readonly arn: string; readonly tags: Readonly<Record<string, string>> },
  shared: SharedOffboarding | undefined,
): Promise<number> {
  if (ownerKind(secret.tags[TAG.owner] ?? '') === 'team' || secret.tags[TAG.shared] === 'true') return 0;
  if (!holds(shared)) return 0;
  return (await readAccess(secret.arn))?.consumers.length ?? 0;
}
