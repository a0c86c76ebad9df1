/** `provisioner target rotate <target>`: rotates a target's own admin credential (the admin-rotate workflow). */
import type { SFNClient } from '@aws-sdk/client-sfn';
import { executionNameFor } from '#core/execution-names.ts';
import { vendorFor } from '#core/products/registry.ts';
import type { TargetDefinition } from '#core/requests.ts';
import { parseInput } from '#core/schemas.ts';
import {
  AdminRotateRequest,
  AdminSchedulesRequest,
  rotatesAdminCredentials,
} from '#core/workflows/admin-rotate.ts';
import { type Output, startAndFollow } from './commands.ts';

export interface TargetRotateOptions {
  /** `ssh`: the SSH login keys are generated with (FortiManager), instead of the admin API token. */
  readonly credential?: string;
  readonly wait?: boolean;
  readonly pollMs?: number;
}

/**
 * Starts the target's admin rotation, named per target and UTC minute: a repeat within the minute
 * reports the same execution, and a start while another rotation is in flight fails at validation.
 */
export async function targetRotate(
  sfn: SFNClient,
  stateMachineArn: () => Promise<string>,
  target: string,
  options: TargetRotateOptions,
  io: Output,
  now = new Date(),
): Promise<number> {
  const request = parseInput(
    AdminRotateRequest,
    { target, credential: options.credential },
    'admin rotate request',
  );
  const name = executionNameFor('admin-rotate', utcMinute(now), request);
  return startAndFollow(sfn, await stateMachineArn(), name, request, options, io);
}

/**
 * After \`target add\`: a target whose product rotates its admin credentials here gets their
 * schedules at once (the admin-rotate state machine's EnsureAdminSchedules), not only after a first
 * rotation, at half its policy's \`adminKeyMaxAgeDays\`: a schedule already there is replaced when
 * the policy changed. One execution per stored version of the target, so a repeat of the same
 * version reports that run and a new version (a new policy) is always applied; other targets start
 * nothing.
 */
export async function scheduleAdminRotations(
  sfn: SFNClient,
  stateMachineArn: () => Promise<string>,
  target: string,
  definition: TargetDefinition,
  versionId: string,
  io: Output,
  options: { pollMs?: number } = {},
): Promise<number> {
  if (!rotatesAdminCredentials(vendorFor({ target: definition }))) return 0;
  const request = parseInput(
    AdminSchedulesRequest,
    { target, schedulesOnly: true },
    'admin schedules request',
  );
  const name = executionNameFor('admin-schedules', versionId, request);
  return startAndFollow(sfn, await stateMachineArn(), name, request, { wait: true, ...options }, io);
}

/** Executions named per UTC minute: a repeat within it is the same execution. */
function utcMinute(now: Date): string {
  return now.toISOString().slice(0, 16).replace(/[-:T]/g, '');
}
