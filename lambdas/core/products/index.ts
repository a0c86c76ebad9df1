/**
 * The product list: the one place every product is named. The adapter registry, the target and
 * request schemas (../requests.ts), the material shapes, the CLI's `target add` flags and, on the
 * local side, the simulators (./simulated.ts, checked against this list) derive from it.
 */
import * as z from 'zod';
import { FatalError } from '../errors.ts';
import { autorabit } from './autorabit/product.ts';
import { forticnapp } from './forticnapp/product.ts';
import { fortiflex } from './fortiflex/product.ts';
import { fortimanager } from './fortimanager/product.ts';
import { fortios } from './fortios/product.ts';
import { readMaterial } from './material.ts';
import type { ProductDefinition } from './product.ts';
import type { ApiVendor, OperatorVendor, Vendor, VendorContext } from './vendor.ts';

export type { RequestField } from './product.ts';

export const PRODUCTS = [fortios, fortimanager, fortiflex, forticnapp, autorabit] as const;

export type VendorName = (typeof PRODUCTS)[number]['name'];
/** A product's name as input (`provisioner target add --vendor`). */
export const ProductName = z.enum(PRODUCTS.map((product) => product.name) as [VendorName, ...VendorName[]]);

export type ProductOf<V extends VendorName> = Extract<(typeof PRODUCTS)[number], { name: V }>;

const BY_NAME = new Map<string, ProductDefinition>(PRODUCTS.map((product) => [product.name, product]));

export function productOf<V extends VendorName>(vendor: V): ProductOf<V> {
  const product = BY_NAME.get(vendor);
  if (!product) throw new FatalError(`unknown product ${vendor}`);
  return product as ProductOf<V>;
}

export function vendorFor(context: VendorContext): Vendor {
  return (productOf(context.target.vendor) as ProductDefinition).createVendor(context);
}

export type MaterialOf<V extends VendorName> = z.output<ProductOf<V>['material']>;

/** The material fields of a stored credential, checked against its product's shape; messages never echo values. */
export function materialOf<V extends VendorName>(vendor: V, stored: Record<string, unknown>): MaterialOf<V> {
  return readMaterial(productOf(vendor).material, stored, vendor) as MaterialOf<V>;
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
