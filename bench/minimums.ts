/**
 * The fewest vendor calls each operation needs on each product (each product's folder gives them,
 * with the reasoning), and the Secrets Manager write budget per credential (issue 18): at most 3
 * writes per provision and per rotation, 2 per revocation (docs/benchmark.md, Secrets Manager writes).
 */
import { PRODUCTS, type VendorName } from '#core/products/index.ts';
import { simulatedOf } from '#core/products/simulated.ts';
import type { MinimumCalls, Operation } from '#local/simulated-product.ts';

export const MINIMUM_VENDOR_CALLS = Object.fromEntries(
  PRODUCTS.map(({ name }) => [name, simulatedOf(name).bench.minimumCalls]),
) as Record<VendorName, Readonly<Record<Operation, MinimumCalls>>>;

export const MAX_SECRETS_WRITES: Record<Operation, number> = { provision: 3, rotate: 3, revoke: 2 };
