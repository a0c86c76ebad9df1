/**
 * `provisioner transfer --from <owner> --to <owner>`: every live credential of one owner becomes
 * another's (a person's to a team, a team's to a person, ...), so that the old owner's offboarding
 * no longer finds it. Checked whole before anything changes; each move is announced
 * (`credential.transferred`) before its tags change, so a repeated run may repeat a notice but
 * never lose one, and finds nothing left to move. A held credential's hold-end schedule is deleted
 * before its tags change (were it left, its revocation would find the credential no longer the
 * old owner's and leave it).
 */
import { ValidationError } from '#core/errors.ts';
import type { EventPublisher } from '#core/events.ts';
import { SECRET_PREFIX, TAG } from '#core/names.ts';
import { OwnerRef, ownerKind, parseInput } from '#core/schemas.ts';
import { type CredentialStore, credentialStatus, type SecretDescription } from '#core/secrets.ts';
import type { Output } from './commands.ts';
import { renderTable } from './table.ts';

export interface TransferDeps {
  readonly store: CredentialStore;
  readonly events: EventPublisher;
  /** Deletes a credential's hold-end schedule, if it has one (lambdas/core/hold-ends.ts). */
  readonly removeHoldEnd: (secretName: string) => Promise<void>;
}

/** Revoked credentials stay with the owner they had: history, not something anyone uses. */
const isRetired = (s: SecretDescription) => s.deletedDate !== undefined || credentialStatus(s) === 'revoked';

/** The tags a credential gets under its new owner, and the ones it loses (a hold, and `shared` on a team's). */
function retagged(s: SecretDescription, from: string, to: string) {
  const toTeam = ownerKind(to) === 'team';
  // A team's credential keeps the person accountable for it; a person's belongs to that person.
  const requestedBy = toTeam
    ? (s.tags[TAG.requestedBy] ?? (ownerKind(from) === 'person' ? from : undefined))
    : to;
  const tags: Record<string, string> = {
    [TAG.owner]: to,
    [TAG.ownerKind]: ownerKind(to),
    ...(requestedBy ? { [TAG.requestedBy]: requestedBy } : {}),
  };
  const dropped = [TAG.heldUntil, ...(toTeam ? [TAG.shared] : [])].filter((key) => s.tags[key] !== undefined);
  return { tags, dropped };
}

export async function transfer(
  deps: TransferDeps,
  options: { readonly from: string; readonly to: string },
  io: Output,
): Promise<number> {
  const from = parseInput(OwnerRef, options.from, '--from owner');
  const to = parseInput(OwnerRef, options.to, '--to owner');
  if (from === to) throw new ValidationError(`--from and --to are both ${from}: nothing to transfer`);
  const owned = await deps.store.listByOwner(from);
  const live = owned.filter((s) => !isRetired(s));
  const issues: string[] = [];
  for (const s of live.filter((c) => credentialStatus(c) === 'revoking'))
    issues.push(
      `${s.name} is being revoked (status revoking): let its revocation finish; it cannot change owner`,
    );
  if (ownerKind(to) === 'team') {
    const group = to.slice(to.indexOf(':') + 1);
    for (const target of new Set(live.map((s) => s.tags[TAG.target] ?? ''))) {
      const { policy } = await deps.store.loadTarget(target);
      if (!policy?.teamOwners?.includes(group))
        issues.push(
          `${to} may not own credentials on target ${target} (its policy's teamOwners: ${policy?.teamOwners?.join(', ') ?? 'none'})`,
        );
    }
  }
  if (issues.length > 0) throw new ValidationError(`transfer refused, nothing changed`, issues);
  const rows: string[][] = [];
  for (const s of live) {
    const { tags, dropped } = retagged(s, from, to);
    const [target = '', ...user] = s.name.slice(SECRET_PREFIX.length).split('/');
    await deps.events.publish('credential.transferred', {
      from,
      to,
      secretName: s.name,
      secretArn: s.arn,
      target,
      apiUser: user.join('/'),
      ticket: s.tags[TAG.ticket] ?? 'none',
      releasedHold: s.tags[TAG.heldUntil] ?? null,
    });
    if (s.tags[TAG.heldUntil] !== undefined) await deps.removeHoldEnd(s.name);
    await deps.store.tag(s.arn, tags);
    if (dropped.length > 0) await deps.store.untag(s.arn, dropped);
    rows.push([
      s.name,
      target,
      'transferred',
      s.tags[TAG.heldUntil] ? `hold until ${s.tags[TAG.heldUntil]} released` : '',
    ]);
  }
  for (const s of owned.filter(isRetired))
    rows.push([s.name, s.tags[TAG.target] ?? '', 'left (revoked)', '']);
  if (rows.length === 0) io.out(`${from} owns no credentials: nothing to transfer`);
  else io.out(renderTable(['secret', 'target', `${from} -> ${to}`, 'note'], rows));
  return 0;
}
