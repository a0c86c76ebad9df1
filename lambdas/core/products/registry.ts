/**
 * The adapter of each product in the list (./index.ts), checked against it by the compiler. Only
 * the workflow steps import it, so a handler that only parses input bundles no product client.
 */
import { FatalError } from '../errors.ts';
import type { TargetOf } from '../requests.ts';
import { createAutoRabitVendor } from './autorabit/adapter.ts';
import { createFortiCnappVendor } from './forticnapp/adapter.ts';
import { createFortiFlexVendor } from './fortiflex/adapter.ts';
import { createFortiGateFleetVendor } from './fortigate-fleet/adapter.ts';
import { createFortiManagerVendor } from './fortimanager/adapter.ts';
import { createFortiOsVendor } from './fortios/adapter.ts';
import type { VendorName } from './index.ts';
import type { ApiVendor, OperatorVendor, Vendor, VendorContext } from './vendor.ts';

/** Method syntax, so one product's factory stands in for any (parameters are bivariant). */
type AdapterFactory<N extends VendorName> = { create(context: VendorContext<TargetOf<N>>): Vendor }['create'];

const ADAPTERS = {
  fortios: createFortiOsVendor,
  fortimanager: createFortiManagerVendor,
  fortiflex: createFortiFlexVendor,
  forticnapp: createFortiCnappVendor,
  autorabit: createAutoRabitVendor,
  'fortigate-fleet': createFortiGateFleetVendor,
} as const satisfies { readonly [N in VendorName]: AdapterFactory<N> };

export function vendorFor(context: VendorContext): Vendor {
  const create = ADAPTERS[context.target.vendor] as AdapterFactory<VendorName> | undefined;
  if (!create) throw new FatalError(`unknown product ${context.target.vendor}`);
  return create(context);
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
