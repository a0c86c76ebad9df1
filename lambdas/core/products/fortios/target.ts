/** A FortiOS appliance (FortiGate): REST API with the admin token, TLS pinned to its CA or certificate. */
import * as z from 'zod';
import { AdminToken, HttpsBaseUrl, TlsPinning, VdomName } from '../../schemas.ts';

export const FortiOsTarget = z
  .object({
    vendor: z.literal('fortios'),
    baseUrl: HttpsBaseUrl,
    adminCredential: AdminToken,
    tls: TlsPinning,
    vdom: VdomName.optional(),
  })
  .strict();
export type FortiOsTarget = z.output<typeof FortiOsTarget>;
