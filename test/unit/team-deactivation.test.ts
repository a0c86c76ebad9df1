/**
 * A team's deletion revokes the team's credentials (lambdas/core/deactivation.ts): the directory's
 * `Group Deleted` event, and Okta's `group.lifecycle.delete` System Log event ("Delete Okta group",
 * https://developer.okta.com/docs/reference/api/event-types/), whose target of type `UserGroup`
 * carries the deleted group's id (the Okta Workflows "Group Deleted" card lists its ID, alternate
 * ID, display name and type: https://help.okta.com/wf/en-us/Content/Topics/workflows/connector-reference/okta/events/groupdeleted.htm).
 */
import { describe, expect, it } from 'vitest';
import { revocationFromEvent } from '#core/deactivation.ts';
import { ValidationError } from '#core/errors.ts';

describe('a team deletion', () => {
  it('from the directory revokes the team owner team:<group id>', () => {
    // Act
    const { request, executionName } = revocationFromEvent({
      source: 'provisioner.directory',
      'detail-type': 'Group Deleted',
      id: 'delivery-1',
      detail: { eventId: 'grp-del-1', groupId: '00g1emaKYZTWRYYRRTSK' },
    });
    // Assess
    expect(request).toEqual({
      owner: 'team:00g1emaKYZTWRYYRRTSK',
      reason: 'team deleted in the directory',
      source: 'directory',
    });
    expect(executionName).toMatch(/^revoke-grp-del-1-[0-9a-f]{10}$/);
  });

  it('from Okta (group.lifecycle.delete) revokes the team of its UserGroup target', () => {
    // Act
    const { request } = revocationFromEvent({
      source: 'aws.partner/okta.com/example/systemlog',
      id: 'delivery-2',
      detail: {
        uuid: 'okta-5678',
        eventType: 'group.lifecycle.delete',
        target: [
          { id: '00g1emaKYZTWRYYRRTSK', type: 'UserGroup', alternateId: 'unknown', displayName: 'Ops' },
        ],
      },
    });
    // Assess
    expect(request).toEqual({
      owner: 'team:00g1emaKYZTWRYYRRTSK',
      reason: 'team deleted in the identity provider',
      source: 'identity-provider',
    });
  });

  it('from Okta without a UserGroup target is refused, and starts nothing', () => {
    // Act
    const call = () =>
      revocationFromEvent({
        source: 'aws.partner/okta.com/example/systemlog',
        id: 'delivery-3',
        detail: {
          uuid: 'okta-9',
          eventType: 'group.lifecycle.delete',
          target: [{ type: 'User', alternateId: 'a@b.c' }],
        },
      });
    // Assess
    expect(call).toThrow(ValidationError);
    expect(call).toThrow(/deleted group: /);
  });
});
