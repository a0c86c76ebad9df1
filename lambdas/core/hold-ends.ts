/**
 * A held offboarding ends on its own (docs/target-policy.md#ownership): when a revocation holds a
 * person's credential others use, a one-time EventBridge Scheduler schedule at the hold's end
 * starts the revoke workflow for exactly that credential of that owner. The schedule is `at()`
 * (one-time: "Schedule types", https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#one-time)
 * with `ActionAfterCompletion: DELETE`, so Scheduler deletes it once it has started the revocation
 * (API_CreateSchedule, https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html).
 * A transfer deletes it; should it fire anyway, the revocation lists the owner's credentials by
 * its owner tag, so one that changed owner is not found.
 */
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { deleteScheduleIfPresent } from './delete-schedule.ts';
import { credentialScheduleName } from './schedules.ts';

export interface HoldEnd {
  readonly secretName: string;
  readonly owner: string;
  /** The hold's end (its `provisioner:held-until`). */
  readonly heldUntil: string;
}

export interface HoldEndSchedules {
  /** Create-if-absent: one schedule per held credential, whatever the number of offboardings. */
  ensure(hold: HoldEnd): Promise<void>;
  /** Delete-if-present. */
  remove(secretName: string): Promise<void>;
}

export function holdEndScheduleName(secretName: string): string {
  return credentialScheduleName('hold', secretName);
}

/**
 * When the schedule fires: `at()` takes whole seconds and Scheduler invokes within the minute after
 * that time, never before ("Schedule types": 60 second precision), so the hold's end rounded up to
 * its second is never early: the revocation then finds the hold over.
 */
export function holdEndsAt(heldUntil: string): string {
  return new Date(Math.ceil(Date.parse(heldUntil) / 1000) * 1000).toISOString();
}

/** The `at()` expression of a hold's end, in UTC. */
export function holdEndExpression(heldUntil: string): string {
  return `at(${holdEndsAt(heldUntil).slice(0, 19)})`;
}

/** The revoke request the schedule starts: that credential of that owner, nothing else. */
export function holdEndRequest(hold: HoldEnd) {
  return {
    owner: hold.owner,
    credential: hold.secretName,
    reason: `hold ended ${hold.heldUntil}`,
    source: 'schedule' as const,
  };
}

/** DeleteSchedule of a credential's hold end; one already gone (fired, or deleted) is no error. */
export async function deleteHoldEndSchedule(
  client: SchedulerClient,
  group: string,
  secretName: string,
): Promise<void> {
  await deleteScheduleIfPresent(client, group, holdEndScheduleName(secretName));
}
