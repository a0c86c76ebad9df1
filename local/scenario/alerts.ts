/**
 * `npm start`'s look at what on-call receives: a rotation is made to fail (a web proxy answers the
 * FortiGate's API with a login page, once), and the message the stack's notification rule writes
 * for it (its input transformer, applied by the local EventBridge) is printed as the alert topic
 * receives it, after the notice the rotation sends before it starts.
 */
import { followExecution } from '#cli/follow-execution.ts';
import { ROTATION_SCHEDULE_GROUP } from '#core/config.ts';
import { credentialSecretName } from '#core/names.ts';
import { rotationScheduleName } from '#core/schedules.ts';
import type { LocalEnvironment } from '../environment.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** Fails one rotation of `apiUser` on the FortiOS target `target` and prints the alert it raises. */
export async function showRotationFailureAlert(env: LocalEnvironment, target: string, apiUser: string) {
  env.fortios.faults.inject({
    method: 'POST',
    pathPrefix: '/api/v2/cmdb/system/api-user',
    kind: 'html',
    times: 1,
  });
  const sent = env.eventBus.notifications.length;
  const started = (await env.scheduler.fire(
    ROTATION_SCHEDULE_GROUP,
    rotationScheduleName(credentialSecretName(target, apiUser)),
  )) as { executionArn?: string };
  say(`  a rotation on ${target} meets a proxy's login page instead of the FortiGate's API`);
  const execution = await followExecution(env.operator.sfnClient, started.executionArn ?? '', {
    pollMs: 100,
    onState: () => undefined,
  });
  env.fortios.faults.clear();
  if (execution.status !== 'FAILED') throw new Error(`the provoked rotation ${execution.status}`);
  // The rotation's notice goes out first (credential.rotation-scheduled), then its failure.
  const alerts = env.eventBus.notifications.slice(sent);
  if (!alerts.some((alert) => /RotationFailed/.test(alert.rule)))
    throw new Error(`the failed rotation raised no rotation-failed alert (${alerts.length} others)`);
  say(`    rotation ${execution.status}; the alert topic receives ${alerts.length}:`);
  for (const alert of alerts) {
    say(`    (${alert.rule.split('/').at(-1)}) ${alert.message}`);
  }
}
