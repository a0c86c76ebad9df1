/**
 * FortiOS targets with an access policy of their own (docs/target-policy.md) on the local
 * environment's FortiOS simulator, where `env.registerTarget` stores the default policy.
 */
import { simulatedFortiOs } from '#core/products/fortios/simulated.ts';
import { TargetDefinition } from '#core/requests.ts';
import type { LocalEnvironment } from '#local/environment.ts';

/** The directory group TEAMS_AND_HOLDS lets own credentials, as an owner names it. */
export const OPS_TEAM = 'team:00gOPS';

/** Team 00gOPS may own credentials, and a leaver's shared credential is held 14 days. */
export const TEAMS_AND_HOLDS = { teamOwners: ['00gOPS'], offboarding: { shared: { holdDays: 14 } } };

/** Stores target `name` on the FortiOS simulator with `policy` and any other definition fields (a VDOM). */
export async function putFortiOsTarget(
  env: LocalEnvironment,
  name: string,
  policy: object,
  fields: object = {},
): Promise<void> {
  const definition = { ...simulatedFortiOs.target(env.fortios, 'ca'), ...fields, policy };
  await env.store.putTarget(name, TargetDefinition.parse(definition));
}
