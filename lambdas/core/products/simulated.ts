/**
 * The simulated side of every product in the list (./index.ts), for the embedded default, the leak
 * scan, the simulated operator and the bench. The compiler checks it covers the list. Handlers never
 * import it, so simulators stay out of the Lambda bundles.
 */
import type { RunningSimulator, SimulatedProduct } from '#local/simulated-product.ts';
import { simulatedAutoRabit } from './autorabit/simulated.ts';
import { simulatedFortiCnapp } from './forticnapp/simulated.ts';
import { simulatedFortiFlex } from './fortiflex/simulated.ts';
import { simulatedFortiGateFleet } from './fortigate-fleet/simulated.ts';
import { simulatedFortiManager } from './fortimanager/simulated.ts';
import { simulatedFortiOs } from './fortios/simulated.ts';
import { PRODUCTS, type VendorName } from './index.ts';

const SIMULATED = {
  fortios: simulatedFortiOs,
  fortimanager: simulatedFortiManager,
  fortiflex: simulatedFortiFlex,
  forticnapp: simulatedFortiCnapp,
  autorabit: simulatedAutoRabit,
  'fortigate-fleet': simulatedFortiGateFleet,
} as const satisfies { readonly [N in VendorName]: SimulatedProduct<N, RunningSimulator> };

/** Each product's running simulator, by product name. */
export type Simulators = {
  readonly [N in VendorName]: Awaited<ReturnType<(typeof SIMULATED)[N]['start']>>;
};

/** One product's simulated side, with its simulator's own type erased (for code that serves every product alike). */
export function simulatedOf(name: VendorName): SimulatedProduct<VendorName, RunningSimulator> {
  return SIMULATED[name] as unknown as SimulatedProduct<VendorName, RunningSimulator>;
}

export async function startSimulators(ports: Partial<Record<VendorName, number>> = {}): Promise<Simulators> {
  const started = await Promise.all(
    PRODUCTS.map(async ({ name }) => [name, await simulatedOf(name).start({ port: ports[name] })] as const),
  );
  return Object.fromEntries(started) as unknown as Simulators;
}
