/** The one registry of product adapters, keyed by the target's vendor. */
import { FatalError } from '../errors.ts';
import { createAutoRabitVendor } from './autorabit/adapter.ts';
import { createFortiCnappVendor } from './forticnapp/adapter.ts';
import { createFortiFlexVendor } from './fortiflex/adapter.ts';
import { createFortiManagerVendor } from './fortimanager/adapter.ts';
import { createFortiOsVendor } from './fortios/adapter.ts';
import type { ApiVendor, OperatorVendor, Vendor, VendorContext } from './vendor.ts';

export function vendorFor(context: VendorContext): Vendor {
  const { target } = context;
  switch (target.vendor) {
    case 'fortios':
      return createFortiOsVendor({ ...context, target });
    case 'fortimanager':
      return createFortiManagerVendor({ ...context, target });
    case 'fortiflex':
      return createFortiFlexVendor({ ...context, target });
    case 'forticnapp':
      return createFortiCnappVendor({ ...context, target });
    case 'autorabit':
      return createAutoRabitVendor({ ...context, target });
  }
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
