/** A FortiManager: JSON-RPC with the admin token (TLS pinned), keys generated on its CLI over SSH (host key pinned). */
import * as z from 'zod';
import { AdminToken, HttpsBaseUrl, SshAccess, TlsPinning, VdomName } from '../../schemas.ts';

export const FortiManagerTarget = z
  .object({
    vendor: z.literal('fortimanager'),
    baseUrl: HttpsBaseUrl,
    adminCredential: AdminToken,
    tls: TlsPinning,
    vdom: VdomName.optional(),
    ssh: SshAccess.describe('keys are generated on the FortiManager CLI over SSH'),
  })
  .strict();
export type FortiManagerTarget = z.output<typeof FortiManagerTarget>;
