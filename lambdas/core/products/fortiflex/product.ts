/** FortiFlex through FortiCloud IAM: API users and passwords only in the portal; OAuth tokens brokered. */
import { PasswordMaterial } from '../material.ts';
import type { ProductDefinition } from '../product.ts';
import { FortiFlexTarget } from './target.ts';

export const fortiflex = {
  name: 'fortiflex',
  displayName: 'FortiFlex',
  target: FortiFlexTarget,
  material: PasswordMaterial,
  requestFields: {
    permissionProfile: 'the IAM permission profile the operator selects for the API user',
  },
  targetFlags: {
    options: [{ flag: '--client-id <id>', description: 'OAuth client id (default flexvm)' }],
    definition: async ({ common, flags }) => ({ ...common, clientId: flags.clientId }),
  },
} as const satisfies ProductDefinition<'fortiflex', typeof FortiFlexTarget, typeof PasswordMaterial>;
