/**
 * Every product's adapter, loaded when this module is, for the callers that pick one synchronously:
 * the CLI, the embedded default's scenarios and tests. The handlers load theirs on demand
 * (./adapters.ts), so no handler imports this module.
 */
import { FatalError } from '../errors.ts';
import { loadAdapter } from './adapters.ts';
import { PRODUCTS } from './index.ts';
import type { Vendor, VendorContext } from './vendor.ts';

export { asApiVendor, asOperatorVendor } from './adapters.ts';

const FACTORIES = new Map(
  await Promise.all(PRODUCTS.map(async ({ name }) => [name as string, await loadAdapter(name)] as const)),
);

export function vendorFor(context: VendorContext): Vendor {
  const create = FACTORIES.get(context.target.vendor);
  if (!create) throw new FatalError(`unknown product ${context.target.vendor}`);
  return create(context);
}
