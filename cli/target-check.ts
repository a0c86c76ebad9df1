/**
 * `provisioner target check <name>`: one read-only call to the target with its admin credential
 * (listing the API users this system manages), from wherever the command runs, and a plain answer.
 * A refusal of the caller itself (a wrong token, or this address outside the admin's trusted hosts)
 * is reported once and never retried: FortiOS locks an address out after 3 failed API-key logins
 * within 60 s.
 */
import { CallerRefusedError, ValidationError } from '#core/errors.ts';
import { asApiVendor } from '#core/products/registry.ts';
import type { Vendor, VendorContext } from '#core/products/vendor.ts';
import { parseInput, TargetName } from '#core/schemas.ts';
import type { CredentialStore } from '#core/secrets.ts';
import type { Output } from './commands.ts';

export async function targetCheck(
  store: Pick<CredentialStore, 'loadTarget'>,
  name: string,
  io: Output,
  vendorFor: (context: VendorContext) => Vendor,
): Promise<number> {
  const targetName = parseInput(TargetName, name, 'target name');
  const target = await store.loadTarget(targetName);
  const vendor = vendorFor({ target });
  if (vendor.capabilities.issuance !== 'api')
    throw new ValidationError(
      `${targetName}: ${vendor.name} targets hold no admin credential the provisioner calls with; nothing to check`,
    );
  try {
    const users = await asApiVendor(vendor).listManagedUsers();
    io.out(
      `${targetName}: the admin credential works from the address this command calls from (${users.length} API users of this system on it)`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof CallerRefusedError)) throw error;
    io.out(
      `${targetName} refused the admin credential: the address this command calls from is not a trusted host of that admin, or the token is wrong (${vendor.name} answers both alike).`,
    );
    io.out(
      '  The provisioner calls from its egress addresses (stack outputs EgressAddress1, EgressAddress2): they must be among the trusted hosts of that admin.',
    );
    io.out(
      '  Not retried: each refused call counts toward the lockout of this address (FortiOS: 3 within 60 s).',
    );
    return 1;
  }
}
