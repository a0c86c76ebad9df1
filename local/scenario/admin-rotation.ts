/** `npm start`'s admin-key rotation: a FortiOS target's own admin token moves to its twin admin user. */
import type { FortiOsTarget } from '#core/products/fortios/target.ts';
import { vendorFor } from '#core/products/registry.ts';
import type { ApiVendor } from '#core/products/vendor.ts';
import { targetRotate } from '../../cli/admin-rotation.ts';
import type { LocalEnvironment } from '../environment.ts';

/** What the admin API answers the target definition's token (names and outcomes only, never the token). */
async function adminAnswer(target: FortiOsTarget): Promise<string> {
  return (await (vendorFor({ target }) as ApiVendor).adminTwins?.verifyAdmin())?.outcome ?? 'no admin twins';
}

/** Rotates the target's admin credential as `provisioner target rotate --wait` does, then shows who holds it. */
export async function rotateAdminCredential(
  env: LocalEnvironment,
  targetName: string,
  say: (line: string) => void,
): Promise<void> {
  const before = (await env.store.loadTarget(targetName)) as FortiOsTarget;
  say(`  admin-key rotation of ${targetName} (provisioner target rotate ${targetName} --wait):`);
  const code = await targetRotate(
    env.operator.sfnClient,
    async () => env.adminRotateStateMachineArn,
    targetName,
    { wait: true, pollMs: 100 },
    { out: (line) => say(`    ${line.trim()}`) },
  );
  if (code !== 0) throw new Error(`the admin rotation of ${targetName} failed`);
  const after = (await env.store.loadTarget(targetName)) as FortiOsTarget;
  say(
    `    admin user ${before.adminCredential.user} -> ${after.adminCredential.user}: the new token is ${await adminAnswer(after)}, the old one ${await adminAnswer(before)} (its admin user deleted)`,
  );
}
