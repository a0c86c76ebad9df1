/** `provisioner target rotate <target>`: rotates a target's own admin credential (the admin-rotate workflow). */
import type { SFNClient } from '@aws-sdk/client-sfn';
import { executionNameFor } from '#core/execution-names.ts';
import { parseInput } from '#core/schemas.ts';
import { AdminRotateRequest } from '#core/workflows/admin-rotate.ts';
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
  const minute = now.toISOString().slice(0, 16).replace(/[-:T]/g, '');
  const name = executionNameFor('admin-rotate', minute, request);
  return startAndFollow(sfn, await stateMachineArn(), name, request, options, io);
}
