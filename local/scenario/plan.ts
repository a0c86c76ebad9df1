/**
 * `npm start`, before the offboarding: the revoke workflow's plan for the owner
 * (`provisioner plan revoke --owner`), printed as the CLI prints it; it changes nothing.
 */
import { planRevoke } from '#cli/plan.ts';
import type { LocalEnvironment } from '../environment.ts';

export async function showRevocationPlan(env: LocalEnvironment, owner: string, say: (line: string) => void) {
  say(`  provisioner plan revoke --owner ${owner}`);
  const code = await planRevoke(env.operator.sfnClient, async () => env.revokeStateMachineArn, owner, {
    out: (line) => say(`    ${line}`),
  });
  if (code !== 0) throw new Error(`the revocation plan for ${owner} failed`);
}
