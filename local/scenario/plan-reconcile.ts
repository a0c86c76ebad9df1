/**
 * `npm start`, before the reconciliation that repairs the restored twin: the reconcile workflow's
 * plan for the target (`provisioner plan reconcile`), printed as the CLI prints it; it changes nothing.
 */
import { planReconcile } from '#cli/plan.ts';
import type { LocalEnvironment } from '../environment.ts';

export async function showReconcilePlan(env: LocalEnvironment, target: string, say: (line: string) => void) {
  say(`    provisioner plan reconcile ${target}`);
  const code = await planReconcile(env.operator.sfnClient, async () => env.reconcileStateMachineArn, target, {
    out: (line) => say(`      ${line}`),
  });
  if (code !== 0) throw new Error(`the reconcile plan for ${target} failed`);
}
