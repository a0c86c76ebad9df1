/** A FortiOS appliance (FortiGate): REST API with the admin token, TLS pinned to its CA or certificate. */
import * as z from 'zod';
import { HttpsBaseUrl, TlsPinning, VdomName } from '../../schemas.ts';
import { TwinAdminToken } from '../admin-credential.ts';
import { DEVICE_RULES, policyOf } from '../policy.ts';

/** An FGCP cluster has at most four members: the one at `baseUrl` and three others. */
const MAX_HA_MEMBERS = 3;

// Built on its first parse, not at import: a call builds only its own target's schema (../../requests.ts).
export const FortiOsTarget = z.lazy(() => {
  /** Another member's own management address (its HA reserved management interface), where keys are verified too. */
  const HaMember = z
    .object({
      baseUrl: HttpsBaseUrl,
      /** Its own pinning when it has its own certificate; the target's otherwise. */
      tls: TlsPinning.optional(),
    })
    .strict();
  return z
    .object({
      vendor: z.literal('fortios'),
      baseUrl: HttpsBaseUrl,
      adminCredential: TwinAdminToken,
      tls: TlsPinning,
      vdom: VdomName.optional(),
      haMembers: z
        .array(HaMember)
        .min(1)
        .max(
          MAX_HA_MEMBERS,
          `an FGCP cluster has at most ${MAX_HA_MEMBERS} members besides the one at baseUrl`,
        )
        .optional(),
      policy: policyOf(...DEVICE_RULES, 'adminKeyMaxAgeDays'),
    })
    .strict()
    .superRefine((target, ctx) => {
      const seen = new Set([new URL(target.baseUrl).origin]);
      target.haMembers?.forEach((member, index) => {
        const origin = new URL(member.baseUrl).origin;
        if (seen.has(origin)) {
          ctx.addIssue({
            code: 'custom',
            path: ['haMembers', index, 'baseUrl'],
            message: 'is already given (as baseUrl or another member): each member is verified once',
          });
        }
        seen.add(origin);
      });
    });
});
export type FortiOsTarget = z.output<typeof FortiOsTarget>;
