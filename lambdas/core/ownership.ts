/**
 * What an owner's revocation does to each credential it finds (docs/target-policy.md#ownership):
 * one pure decision, so the revoke workflow and a plan of it answer alike.
 *
 * "Others use it" means, for now, a person's credential requested with `shared: true` (tag
 * `provisioner:shared`). A team's credential is never found by a member's revocation (its owner
 * tag is the team), so it needs no decision there; it is revoked when the team itself is deleted.
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

/**
 * Revoke now, or hold: a shared personal credential on a target whose policy holds them stays
 * usable `holdDays` from its first hold; once that has passed, a revocation takes it.
 */
export function offboardingDecision(input: {
  readonly tags: Readonly<Record<string, string>>;
  /** The target policy's `offboarding.shared` (absent: revoke). */
  readonly shared: SharedOffboarding | undefined;
  readonly now: Date;
}): OffboardingDecision {
  const { tags, shared, now } = input;
  if (ownerKind(tags[TAG.owner] ?? '') === 'team') return { action: 'revoke', reason: 'team credential' };
  if (tags[TAG.shared] !== 'true') return { action: 'revoke', reason: 'personal credential' };
  const heldUntil = tags[TAG.heldUntil];
  if (heldUntil !== undefined) {
    const end = Date.parse(heldUntil);
    if (Number.isNaN(end))
      return {
        action: 'revoke',
        reason: `shared credential: its held-until tag (${JSON.stringify(heldUntil.slice(0, 40))}) is not a date`,
      };
    return end <= now.getTime()
      ? { action: 'revoke', reason: `shared credential: its hold ended ${heldUntil}` }
      : { action: 'hold', heldUntil, newlyHeld: false, reason: `shared credential: held until ${heldUntil}` };
  }
  if (shared === undefined || shared === 'revoke')
    return { action: 'revoke', reason: "shared credential: the target's offboarding policy revokes it" };
  return {
    action: 'hold',
    heldUntil: new Date(now.getTime() + shared.holdDays * DAY_MS).toISOString(),
    newlyHeld: true,
    reason: `shared credential: the target's offboarding policy holds it ${shared.holdDays} days`,
  };
}
