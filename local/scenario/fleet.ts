/**
 * `npm start`'s fleet step: one provision request through FortiManager to the three FortiGates of
 * the demo fleet's group `branches`, fanned out one credential per device by the provision
 * workflow, printed as the per-device table `provisioner status` prints; then each device's key is
 * read from AWSCURRENT as a consumer would and presented to its FortiGate.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { fleetReportOf, fleetTable } from '#cli/fleet.ts';
import { followExecution } from '#cli/follow-execution.ts';
import { renderTable } from '#cli/table.ts';
import { executionNameFor } from '#core/execution-names.ts';
import { CURRENT } from '#core/names.ts';
import { simulatedFortiGateFleet } from '#core/products/fortigate-fleet/simulated.ts';
import { materialOf } from '#core/products/index.ts';
import { vendorFor } from '#core/products/registry.ts';
import { causeMessage } from '#core/step-error.ts';
import type { LocalEnvironment } from '../environment.ts';

/** The fleet request: the example's read-only admin, for each device of the group; returns the device credentials. */
export async function provisionFleet(
  env: LocalEnvironment,
  example: Record<string, unknown>,
  say: (line: string) => void,
): Promise<{ target: string; apiUser: string }[]> {
  const fleet = simulatedFortiGateFleet.demoTarget;
  // The demo fleet's fourth FortiGate is offline in the tests (its report is theirs); here it is
  // connected, so the daily reconciliation reaches every device the fleet target names.
  env['fortigate-fleet'].setOnline('fgt-east-9', true);
  const request = {
    ...example,
    target: fleet,
    apiUser: 'fleet-reader',
    ticket: 'CHG-FLEET-1',
    trustedHosts: [...(example.trustedHosts as string[]), '127.0.0.1/32'],
    fleet: { deviceGroup: 'branches' },
  };
  const name = executionNameFor('provision', request.ticket, request);
  say(
    `  provisioning ${request.apiUser} on ${fleet}, device group branches, through FortiManager (execution ${name})`,
  );
  const started = await env.operator.sfnClient.send(
    new StartExecutionCommand({
      stateMachineArn: env.provisionStateMachineArn,
      name,
      input: JSON.stringify(request),
    }),
  );
  const states: string[] = [];
  const done = await followExecution(env.operator.sfnClient, started.executionArn ?? '', {
    pollMs: 100,
    onState: (state) => states.push(state),
  });
  say(`    states: ${states.join(' → ')}`);
  const report = fleetReportOf(done.output);
  if (done.status !== 'SUCCEEDED' || !report)
    throw new Error(`fleet provision ${done.status}: ${causeMessage(done.cause)}`);
  say('');
  say(fleetTable(report));
  const rows = [];
  for (const device of report.devices) {
    if (device.outcome !== 'provisioned') throw new Error(`${device.target} was not provisioned`);
    const target = await env.store.loadTarget(device.target);
    const stored = await env.store.readCurrent(device.secretName);
    const works = await vendorFor({ target }).verify(materialOf(target.vendor, stored));
    rows.push([device.target, CURRENT, works.outcome]);
  }
  say('');
  say(renderTable(['device', 'key read from', 'the FortiGate answers the key'], rows));
  if (rows.some(([, , outcome]) => outcome !== 'accepted')) throw new Error('a fleet key does not work');
  return report.devices.map((d) => ({ target: d.target, apiUser: d.apiUser }));
}
