/**
 * `provisioner rotation pause|resume <secret>`: disables or enables a credential's rotation schedule
 * (Scheduler's UpdateSchedule with State DISABLED or ENABLED: a disabled schedule starts nothing)
 * and records it on the credential (`provisioner:rotation-paused`, when). A rotation already
 * started keeps running; a paused credential can still be rotated by hand (`provisioner rotate`).
 */
import {
  GetScheduleCommand,
  ResourceNotFoundException,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { ValidationError } from '#core/errors.ts';
import { SECRET_PREFIX, TAG } from '#core/names.ts';
import { rotationScheduleName } from '#core/schedules.ts';
import { type CredentialStore, credentialStatus } from '#core/secrets.ts';
import type { Output } from './commands.ts';

export interface RotationScheduleDeps {
  readonly scheduler: SchedulerClient;
  readonly store: CredentialStore;
  /** The stack's schedule group and rotate state machine name (`<stack>-rotate`). */
  readonly scheduleGroup: string;
  readonly rotateStateMachineName: string;
  readonly now?: () => Date;
}

/** Pauses (`DISABLED`) or resumes (`ENABLED`) the rotation schedule of an active credential. */
export async function setRotationState(
  deps: RotationScheduleDeps,
  secret: string,
  state: 'DISABLED' | 'ENABLED',
  io: Output,
): Promise<number> {
  const credential = await deps.store.describe(secret);
  const status = credentialStatus(credential);
  if (!credential?.name.startsWith(SECRET_PREFIX) || status === undefined)
    throw new ValidationError(`${secret} is not a credential of this stack`);
  if (status !== 'active')
    throw new ValidationError(
      `${credential.name} is ${status}, not active: it has no rotation to pause or resume`,
    );
  const name = rotationScheduleName(credential.name);
  const schedule = await deps.scheduler
    .send(new GetScheduleCommand({ Name: name, GroupName: deps.scheduleGroup }))
    .catch((error: unknown) => {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    });
  // A token broker's schedule refreshes its access token, which dies within the hour without it.
  if (!schedule?.Target?.Arn?.endsWith(`:stateMachine:${deps.rotateStateMachineName}`))
    throw new ValidationError(
      `${credential.name} has no rotation schedule (its product's credentials are refreshed or rotate on expiry)`,
    );
  if (schedule.State !== state) {
    await deps.scheduler.send(
      new UpdateScheduleCommand({
        Name: name,
        GroupName: deps.scheduleGroup,
        // UpdateSchedule replaces the whole schedule: everything else as it was.
        ScheduleExpression: schedule.ScheduleExpression,
        ScheduleExpressionTimezone: schedule.ScheduleExpressionTimezone,
        FlexibleTimeWindow: schedule.FlexibleTimeWindow,
        Target: schedule.Target,
        Description: schedule.Description,
        State: state,
      }),
    );
  }
  const now = (deps.now ?? (() => new Date()))();
  if (state === 'DISABLED') {
    if (!credential.tags[TAG.rotationPaused])
      await deps.store.tag(credential.arn, { [TAG.rotationPaused]: now.toISOString() });
    io.out(`rotation of ${credential.name} paused: its schedule ${name} starts nothing until resumed`);
  } else {
    if (credential.tags[TAG.rotationPaused]) await deps.store.untag(credential.arn, [TAG.rotationPaused]);
    io.out(
      `rotation of ${credential.name} resumed on ${schedule.ScheduleExpression} (${schedule.ScheduleExpressionTimezone ?? 'UTC'})`,
    );
  }
  return 0;
}
