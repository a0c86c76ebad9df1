/** AutoRABIT ARM: API tokens only in its UI, each with an expiry. */
import { ExpiringTokenMaterial } from '../material.ts';
import type { ProductDefinition } from '../product.ts';
import { AutoRabitTarget } from './target.ts';

export const autorabit = {
  name: 'autorabit',
  displayName: 'AutoRABIT ARM',
  target: AutoRabitTarget,
  material: ExpiringTokenMaterial,
  requestFields: { serviceUser: 'the user whose license holds the token' },
  targetFlags: {
    options: [
      { flag: '--verify-method <GET|POST>', description: 'method of the authenticated read (default GET)' },
      { flag: '--verify-path <path>', description: 'path of the authenticated read that proves a token' },
    ],
    definition: async ({ common, flags }) => ({
      ...common,
      verify: { method: flags.verifyMethod, path: flags.verifyPath },
    }),
  },
} as const satisfies ProductDefinition<'autorabit', typeof AutoRabitTarget, typeof ExpiringTokenMaterial>;
