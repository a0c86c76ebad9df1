/**
 * The adapter of each product in the list (./index.ts), checked against it by the compiler, each
 * module imported by the first call that needs it: a handler's init compiles none of them (the
 * bundle keeps each in a chunk of its own, lib/bundling.ts) and a call loads its target's only.
 * The workflow steps import this; ./registry.ts serves callers that pick an adapter synchronously.
 */
import { FatalError } from '../errors.ts';
import type { TargetOf } from '../requests.ts';
import type { VendorName } from './index.ts';
import type { ApiVendor, OperatorVendor, Vendor, VendorContext } from './vendor.ts';

/** Method syntax, so one product's factory stands in for any (parameters are bivariant). */
type AdapterFactory<N extends VendorName> = { create(context: VendorContext<TargetOf<N>>): Vendor }['create'];

const ADAPTERS = {
  fortios: async () => (await import('./fortios/adapter.ts')).createFortiOsVendor,
  fortimanager: async () => (await import('./fortimanager/adapter.ts')).createFortiManagerVendor,
  fortiflex: async () => (await import('./fortiflex/adapter.ts')).createFortiFlexVendor,
  forticnapp: async () => (await import('./forticnapp/adapter.ts')).createFortiCnappVendor,
  autorabit: async () => (await import('./autorabit/adapter.ts')).createAutoRabitVendor,
  'fortigate-fleet': async () => (await import('./fortigate-fleet/adapter.ts')).createFortiGateFleetVendor,
} as const satisfies { readonly [N in VendorName]: () => Promise<AdapterFactory<N>> };

/** A product's adapter factory, its module imported on first use (Node caches it after). */
export async function loadAdapter(vendor: string): Promise<AdapterFactory<VendorName>> {
  const load = ADAPTERS[vendor as VendorName] as (() => Promise<AdapterFactory<VendorName>>) | undefined;
  if (!load) throw new FatalError(`unknown product ${vendor}`);
  return load();
}

/** The adapter of the context's target. */
export async function loadVendor(context: VendorContext): Promise<Vendor> {
  return (await loadAdapter(context.target.vendor))(context);
}

function isApiVendor(vendor: Vendor): vendor is ApiVendor {
  return vendor.capabilities.issuance === 'api';
}

/** The adapter of a product whose API issues keys; a clear error for an operator-issued product. */
export function asApiVendor(vendor: Vendor): ApiVendor {
  if (!isApiVendor(vendor))
    throw new FatalError(`${vendor.name} issues credentials only in its own UI: this step needs its API`);
  return vendor;
}

/** The adapter of a product whose credentials an operator hands in. */
export function asOperatorVendor(vendor: Vendor): OperatorVendor {
  if (isApiVendor(vendor))
    throw new FatalError(`${vendor.name} issues keys through its API: no operator task is needed`);
  return vendor;
}
