/**
 * `npm start`'s admin-key rotations: a target's own admin token (FortiOS, FortiManager) or
 * FortiManager's SSH login moves to its twin admin user.
 */
import { vendorFor } from '#core/products/registry.ts';
import type { ApiVendor } from '#core/products/vendor.ts';
import type { TargetDefinition } from '#core/requests.ts';
import { targetRotate } from '../../cli/admin-rotation.ts';
import type { LocalEnvironment } from '../environment.ts';

type AdminCredential = 'api-token' | 'ssh';

/** What the product answers the target definition's admin credential (outcomes only, never the credential). */
async function productAnswer(target: TargetDefinition, credential: AdminCredential): Promise<string> {
  const vendor = vendorFor({ target }) as ApiVendor;
  const answer = credential === 'ssh' ? vendor.loginTwins?.verifyLogin() : vendor.adminTwins?.verifyAdmin();
  return (await answer)?.outcome ?? 'not rotated here';
}

/** The admin user holding the credential, as the definition names it. */
function holder(target: TargetDefinition, credential: AdminCredential): string | undefined {
  if (credential === 'ssh') return 'ssh' in target ? target.ssh.username : undefined;
  return 'adminCredential' in target && 'user' in target.adminCredential
    ? target.adminCredential.user
    : undefined;
}

/** Rotates the target's admin credential as `provisioner target rotate --wait` does, then shows who holds it. */
export async function rotateAdminCredential(
  env: LocalEnvironment,
  targetName: string,
  say: (line: string) => void,
  credential: AdminCredential = 'api-token',
): Promise<void> {
  const before = await env.store.loadTarget(targetName);
  const flag = credential === 'ssh' ? ' --credential ssh' : '';
  say(`  admin-key rotation of ${targetName} (provisioner target rotate ${targetName}${flag} --wait):`);
  const code = await targetRotate(
    env.operator.sfnClient,
    async () => env.adminRotateStateMachineArn,
    targetName,
    { credential, wait: true, pollMs: 100 },
    { out: (line) => say(`    ${line.trim()}`) },
  );
  if (code !== 0) throw new Error(`the admin rotation of ${targetName} failed`);
  const after = await env.store.loadTarget(targetName);
  const what = credential === 'ssh' ? 'SSH login' : 'token';
  say(
    `    admin user ${holder(before, credential)} -> ${holder(after, credential)}: the new ${what} is ${await productAnswer(after, credential)}, the old one ${await productAnswer(before, credential)} (its admin user deleted)`,
  );
}
