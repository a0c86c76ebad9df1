/** The one registry of product adapters, keyed by the target's vendor. */
import { ValidationError } from '../errors.ts';
import type { VendorName } from '../requests.ts';
import { createFortiManagerVendor } from './fortimanager.ts';
import { createFortiOsVendor } from './fortios.ts';
import type { Vendor, VendorContext, VendorFactory } from './vendor.ts';

const factories: Readonly<Record<VendorName, VendorFactory>> = {
  fortios: createFortiOsVendor,
  fortimanager: createFortiManagerVendor,
};

export function vendorFor(context: VendorContext): Vendor {
  const factory = Object.hasOwn(factories, context.target.vendor)
    ? factories[context.target.vendor]
    : undefined;
  if (!factory) throw new ValidationError(`no adapter for vendor "${String(context.target.vendor)}"`);
  return factory(context);
}
