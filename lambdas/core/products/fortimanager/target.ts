/** A FortiManager: JSON-RPC with the admin token (TLS pinned), keys generated on its CLI over SSH (host key pinned). */
import * as z from 'zod';
import { HttpsBaseUrl, RpcPermit, SshAccess, TlsPinning, VdomName } from '../../schemas.ts';
import { AdminIssuedAt, TwinAdminToken } from '../admin-credential.ts';
import { DEVICE_RULES, policyOf } from '../policy.ts';

// Built on its first parse, not at import: a call builds only its own target's schema (../../requests.ts).
export const FortiManagerTarget = z.lazy(() => {
  /** The CLI login keys are generated with; `target rotate --credential ssh` alternates it with its twin admin. */
  const FortiManagerSsh = SshAccess.unwrap().extend({ issuedAt: AdminIssuedAt }).strict();
  return z
    .object({
      vendor: z.literal('fortimanager'),
      baseUrl: HttpsBaseUrl,
      adminCredential: TwinAdminToken,
      tls: TlsPinning,
      vdom: VdomName.optional(),
      ssh: FortiManagerSsh.describe('keys are generated on the FortiManager CLI over SSH'),
      maxConcurrentCalls: z
        .number()
        .int()
        .min(1)
        .max(4)
        .default(1)
        .describe(
          'JSON-RPC calls one process makes to this manager at once; 7.2.7 to 7.4.7 answer -11 to concurrent token calls, so raise it only from 7.6.2 on',
        ),
      maxRpcPermit: RpcPermit.default('read').describe(
        'the most JSON-RPC access (`rpcPermit`) a provision request may give its API user',
      ),
      policy: policyOf(...DEVICE_RULES, 'adminKeyMaxAgeDays'),
    })
    .strict();
});
export type FortiManagerTarget = z.output<typeof FortiManagerTarget>;

/** The target's rule on JSON-RPC access, as an issue when `rpcPermit` breaks it. */
export function rpcPermitBeyondPolicy(
  target: FortiManagerTarget,
  rpcPermit: RpcPermit | undefined,
): string | undefined {
  if (rpcPermit !== 'read-write' || target.maxRpcPermit === 'read-write') return undefined;
  return `rpcPermit read-write is beyond the target's maxRpcPermit (${target.maxRpcPermit}); raise maxRpcPermit in the target definition to allow it`;
}
