/**
 * `provisioner target remove <target>`: undoes `target add` once nothing of the target is left to
 * revoke. Refused, changing nothing, while a credential of the target (or of a fleet's device) is
 * not revoked: its key still works on the product, and without the target nothing could revoke,
 * rotate or reconcile it. Otherwise the target's admin rotation schedules are deleted, the removal is
 * announced (`credential.target-removed`), and last its secret is scheduled for deletion with a
 * recovery window (so a failed run is run again, and no announcement is lost): it may hold the only copy of an admin token a rotation issued, so a mistaken
 * removal can be undone (`aws secretsmanager restore-secret`). The admin users on the product are
 * left as they are. A repeat finds the target gone and says so.
 */
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { deleteScheduleIfPresent } from '#core/delete-schedule.ts';
import { NotFoundError, ValidationError } from '#core/errors.ts';
import type { EventPublisher } from '#core/events.ts';
import { TAG, targetSecretName } from '#core/names.ts';
import type { TargetDefinition } from '#core/requests.ts';
import { adminScheduleSecretName, rotationScheduleName } from '#core/schedules.ts';
import { parseInput, TargetName } from '#core/schemas.ts';
import { type CredentialStore, credentialStatus } from '#core/secrets.ts';
import type { Output } from './commands.ts';

export interface TargetRemoveDeps {
  readonly store: CredentialStore;
  readonly events: EventPublisher;
  readonly scheduler: SchedulerClient;
  /** The stack's schedule group, which holds the targets' admin rotation schedules. */
  readonly scheduleGroup: string;
}

/** As long as a revoked credential's secret stays restorable. */
const RECOVERY_WINDOW_DAYS = 7;

export async function targetRemove(deps: TargetRemoveDeps, name: string, io: Output): Promise<number> {
  const target = parseInput(TargetName, name, 'target name');
  const definition = await registered(deps.store, target);
  if (!definition) {
    io.out(`target ${target} is not registered (removed already, or never added): nothing to remove`);
    return 0;
  }
  const issues = await unrevokedCredentials(deps.store, target, definition);
  if (issues.length > 0)
    throw new ValidationError(
      `target ${target} has credentials that are not revoked, nothing removed`,
      issues,
    );
  const schedules = (['api-token', 'ssh'] as const).map((credential) =>
    rotationScheduleName(adminScheduleSecretName(target, credential)),
  );
  const deleted: string[] = [];
  for (const schedule of schedules)
    if (await deleteScheduleIfPresent(deps.scheduler, deps.scheduleGroup, schedule)) deleted.push(schedule);
  const secretName = targetSecretName(target);
  await deps.events.publish('credential.target-removed', {
    target,
    vendor: definition.vendor,
    secretName,
    schedulesDeleted: deleted,
    recoveryWindowDays: RECOVERY_WINDOW_DAYS,
  });
  await deps.store.scheduleDeletion(secretName, RECOVERY_WINDOW_DAYS);
  io.out(
    `target ${target} removed: admin rotation schedules deleted: ${deleted.join(', ') || 'none'}; ${secretName} scheduled for deletion in ${RECOVERY_WINDOW_DAYS} days (aws secretsmanager restore-secret --secret-id ${secretName} undoes it)`,
  );
  io.out(`the admin users on the product are left as they are: remove them there if nothing else uses them`);
  return 0;
}

/** The target's definition, or undefined when it is not registered (or scheduled for deletion). */
async function registered(store: CredentialStore, target: string): Promise<TargetDefinition | undefined> {
  try {
    return await store.loadTarget(target);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** One line per credential of the target, or of a fleet target's devices, not yet revoked. */
async function unrevokedCredentials(
  store: CredentialStore,
  target: string,
  definition: TargetDefinition,
): Promise<string[]> {
  const devices = definition.vendor === 'fortigate-fleet' ? Object.keys(definition.devices) : [];
  const issues: string[] = [];
  for (const credentialTarget of [target, ...devices.map((device) => `${target}.${device}`)]) {
    for (const secret of await store.listByTarget(credentialTarget)) {
      const status = credentialStatus(secret);
      if (status === 'revoked') continue;
      const owner = secret.tags[TAG.owner] ?? 'unknown';
      issues.push(
        `${secret.name} (${status ?? 'no status'}, owner ${owner}): revoke it first (provisioner revoke --owner ${owner}, or the owner's offboarding)`,
      );
    }
  }
  return issues;
}
