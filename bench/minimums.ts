/**
 * The fewest vendor calls each operation needs on each product, with the reasoning, and the
 * Secrets Manager write budget (issue 6: at most 3 writes per provision and per rotation).
 */
import type { Operation } from './operations.ts';

type Minimum = { readonly calls: number; readonly why: string };

const TWIN_USER_PRODUCT: Record<Operation, Minimum> = {
  provision: {
    calls: 4,
    why: 'create the access profile, create the user, generate its key, one authenticated call to verify it (create-if-absent writes first and reads only on "already exists")',
  },
  rotate: {
    calls: 5,
    why: 'create the idle twin, generate its key, verify it, delete the old twin, one call proving its key refused',
  },
  revoke: {
    calls: 3,
    why: 'delete the user and its twin (a rotation cut short may have left the idle one), one call proving the key refused',
  },
};

/** Operator products: the product only sees verification; everything else happens in its UI. */
export const MINIMUM_VENDOR_CALLS: Record<string, Record<Operation, Minimum>> = {
  fortios: TWIN_USER_PRODUCT,
  fortimanager: TWIN_USER_PRODUCT,
  fortiflex: {
    provision: { calls: 1, why: 'one password grant verifies the credential and mints the brokered token' },
    rotate: {
      calls: 2,
      why: 'a grant with the new password (verifies, mints the token consumers read); one with the old proves it dead',
    },
    revoke: { calls: 2, why: 'revoke the brokered token; one grant proving the password refused' },
  },
  forticnapp: {
    provision: { calls: 1, why: 'one token exchange verifies the key and mints the brokered token' },
    rotate: {
      calls: 3,
      why: 'verify the new key; check the old one before asking a person to delete it (a key already gone needs nobody); prove it refused afterwards',
    },
    revoke: { calls: 1, why: 'one exchange proving the key refused after the operator deleted it' },
  },
  autorabit: {
    provision: { calls: 1, why: 'one authenticated read verifies the token' },
    rotate: {
      calls: 3,
      why: 'verify the new token; check the old one before asking a person to revoke it; prove it refused afterwards',
    },
    revoke: { calls: 1, why: 'one read proving the token refused after the operator revoked it' },
  },
};

export const MAX_SECRETS_WRITES: Partial<Record<Operation, number>> = { provision: 3, rotate: 3 };
