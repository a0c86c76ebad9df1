/**
 * Deactivation events that revoke an owner's credentials (docs/architecture.md): the documented
 * `provisioner.directory` "User Deactivated" and "Group Deleted" events, and an identity provider's
 * as its EventBridge partner source delivers them (Okta's `user.lifecycle.deactivate` and
 * `group.lifecycle.delete`, https://developer.okta.com/docs/reference/api/event-types/). A user's
 * deactivation revokes that person's credentials, a group's deletion the team's. Each becomes one
 * revoke execution named from the event id and the request (executionNameFor), so a delivery
 * repeated starts nothing new and event ids that read alike (`hr.7`, `hr:7`) start two.
 */
import * as z from 'zod';
import { ValidationError } from './errors.ts';
import { executionNameFor } from './execution-names.ts';
import { GroupId, OwnerId, parseInput, TEAM_OWNER_PREFIX } from './schemas.ts';
import type { RevokeRequest } from './workflows/revoke.ts';

/**
 * The event's `time`, as EventBridge delivers it: when the source reported the deactivation. Only
 * the metric reads it, so one that is not a time is left out rather than refusing the revocation.
 */
const EventTime = z.iso.datetime({ offset: true }).optional().catch(undefined);

const EventId = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 letters, digits or ._:-');

/** Why the source deactivated or deleted, as the revocation's reason: plain text only. */
const SourceReason = z
  .string()
  .max(200)
  .regex(/^[\w .,:;@()/+'-]*$/)
  .optional();

/** `provisioner.directory` / `User Deactivated`: the event an HR system or directory sync emits. */
const DirectoryDeactivation = z
  .object({
    source: z.literal('provisioner.directory'),
    'detail-type': z.literal('User Deactivated'),
    id: z.string(),
    time: EventTime,
    detail: z
      .object({
        eventId: EventId.describe('Id of the deactivation at its source; repeated deliveries share it'),
        userId: OwnerId.describe('The owner whose credentials are revoked (provisioner:owner tag)'),
        reason: SourceReason,
      })
      .strict(),
  })
  .passthrough();

/** `provisioner.directory` / `Group Deleted`: a team is gone, and with it the credentials it owns. */
const DirectoryGroupDeletion = z
  .object({
    source: z.literal('provisioner.directory'),
    'detail-type': z.literal('Group Deleted'),
    id: z.string(),
    detail: z
      .object({
        eventId: EventId.describe('Id of the deletion at its source; repeated deliveries share it'),
        groupId: GroupId.describe(
          'The team whose credentials are revoked (provisioner:owner team:<group id>)',
        ),
        reason: SourceReason,
      })
      .strict(),
  })
  .passthrough();

/**
 * Okta through its EventBridge partner event source: a System Log event of type
 * user.lifecycle.deactivate (target `User`, its login the alternateId) or group.lifecycle.delete
 * (target `UserGroup`, its group id the id).
 */
const IdentityProviderDeactivation = z
  .object({
    source: z.string().startsWith('aws.partner/okta.com'),
    id: z.string(),
    time: EventTime,
    detail: z
      .object({
        uuid: EventId,
        eventType: z.enum(['user.lifecycle.deactivate', 'group.lifecycle.delete']),
        target: z
          .array(
            z
              .object({ type: z.string(), id: z.string().optional(), alternateId: z.string().optional() })
              .passthrough(),
          )
          .min(1)
          .max(10),
      })
      .passthrough(),
  })
  .passthrough();

export interface RevocationStart {
  readonly executionName: string;
  readonly request: RevokeRequest;
}

/** The revoke execution an event asks for; a clear ValidationError for anything else. */
export function revocationFromEvent(event: unknown): RevocationStart {
  const source = (event as { source?: unknown } | null)?.source;
  if (
    source === 'provisioner.directory' &&
    (event as { 'detail-type'?: unknown })['detail-type'] === 'Group Deleted'
  ) {
    const { detail } = parseInput(DirectoryGroupDeletion, event, 'directory group deletion event');
    const request: RevokeRequest = {
      owner: `${TEAM_OWNER_PREFIX}${detail.groupId}`,
      reason: detail.reason ?? 'team deleted in the directory',
      source: 'directory',
    };
    return revocationOf(detail.eventId, request, undefined);
  }
  if (source === 'provisioner.directory') {
    const { detail, time } = parseInput(DirectoryDeactivation, event, 'directory deactivation event');
    const request: RevokeRequest = {
      owner: detail.userId,
      reason: detail.reason ?? 'deactivated in the directory',
      source: 'directory',
    };
    return revocationOf(detail.eventId, request, time);
  }
  if (typeof source === 'string' && source.startsWith('aws.partner/okta.com')) {
    const { detail, time } = parseInput(IdentityProviderDeactivation, event, 'identity provider event');
    const group = detail.eventType === 'group.lifecycle.delete';
    const request: RevokeRequest = group
      ? {
          owner: `${TEAM_OWNER_PREFIX}${parseInput(GroupId, detail.target.find((t) => t.type === 'UserGroup')?.id, 'deleted group')}`,
          reason: 'team deleted in the identity provider',
          source: 'identity-provider',
        }
      : {
          owner: parseInput(
            OwnerId,
            detail.target.find((t) => t.type === 'User')?.alternateId,
            'deactivated user',
          ),
          reason: 'deactivated in the identity provider',
          source: 'identity-provider',
        };
    return revocationOf(detail.uuid, request, group ? undefined : time);
  }
  throw new ValidationError(
    `not a deactivation event this system knows (source ${(JSON.stringify(source) ?? 'none').slice(0, 60)})`,
  );
}

/**
 * The execution is named from the event id and the request without its time: the same deactivation
 * published again (a new time) is the same revocation, answered with the execution it started.
 */
function revocationOf(eventId: string, request: RevokeRequest, time: string | undefined): RevocationStart {
  return {
    executionName: executionNameFor('revoke', eventId, request),
    request: time ? { ...request, deactivatedAt: time } : request,
  };
}

/** Starts a workflow execution; a name already used is the same request, answered with that execution. */
export interface WorkflowStarter {
  start(name: string, input: unknown): Promise<{ executionArn: string; alreadyStarted: boolean }>;
}

export async function startRevocation(starter: WorkflowStarter, event: unknown) {
  const { executionName: name, request } = revocationFromEvent(event);
  const started = await starter.start(name, request);
  return { ...started, owner: request.owner };
}
