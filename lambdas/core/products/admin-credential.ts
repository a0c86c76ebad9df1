/**
 * What a target's own admin credential carries so that `provisioner target rotate` can alternate it
 * between two admin users (`<user>` and `<user>.b`): the user it belongs to, and when it was issued
 * (reconciliation reports it older than the target policy's `adminKeyMaxAgeDays`).
 */
import * as z from 'zod';
import { AdminToken, ApiUserName } from '../schemas.ts';

/** The name of an admin user the rotation alternates: room left for its twin's `.b`. */
const TwinAdminUser = ApiUserName.max(33, 'must leave room for its twin (`.b`): at most 33 characters');

/** When an admin credential was issued: set by the admin rotation; absent, when the target was stored. */
export const AdminIssuedAt = z.iso
  .datetime()
  .optional()
  .describe('when it was issued (set by the admin rotation; absent: when the target was stored)');

/** The admin token and the API admin it belongs to. */
export const TwinAdminToken = AdminToken.extend({
  user: TwinAdminUser.optional().describe(
    'the API admin the token belongs to (needed by `provisioner target rotate`)',
  ),
  issuedAt: AdminIssuedAt,
}).strict();
