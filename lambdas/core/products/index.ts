/**
 * The product list: every product's definition, named once. The target and request schemas
 * (../requests.ts), the material shapes and the CLI's `target add` flags derive from it; the
 * adapter registry (./registry.ts) and, on the local side, the simulators (./simulated.ts) are
 * checked against it by the compiler.
 */
import * as z from 'zod';
import { FatalError } from '../errors.ts';
import { autorabit } from './autorabit/product.ts';
import { forticnapp } from './forticnapp/product.ts';
import { fortiflex } from './fortiflex/product.ts';
import { fortigateFleet } from './fortigate-fleet/product.ts';
import { fortimanager } from './fortimanager/product.ts';
import { fortios } from './fortios/product.ts';
import { readMaterial } from './material.ts';
import type { ProductDefinition } from './product.ts';

export type { RequestField } from './product.ts';

export const PRODUCTS = [fortios, fortimanager, fortiflex, forticnapp, autorabit, fortigateFleet] as const;

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

export type MaterialOf<V extends VendorName> = z.output<ProductOf<V>['material']>;

/** The material fields of a stored credential, checked against its product's shape; messages never echo values. */
export function materialOf<V extends VendorName>(vendor: V, stored: Record<string, unknown>): MaterialOf<V> {
  return readMaterial(productOf(vendor).material, stored, vendor) as MaterialOf<V>;
}
