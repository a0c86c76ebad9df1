/** FortiOS 7.x (FortiGate): users, profiles and keys through the REST API. */
import { ApiKeyMaterial } from '../material.ts';
import {
  ADMIN_TOKEN_FLAGS,
  adminTokenDefinition,
  type ProductDefinition,
  vdomOutsideTarget,
  vdomScope,
} from '../product.ts';
import { FortiOsTarget } from './target.ts';

export const fortios = {
  name: 'fortios',
  displayName: 'FortiOS',
  target: FortiOsTarget,
  material: ApiKeyMaterial,
  requestFields: {
    accessProfile: 'admin profile the API user gets; created when absent',
    trustedHosts: 'source addresses allowed to use the key (CIDR or address and mask)',
  },
  // FortiOS's factory profiles: super_admin (Administration Guide, "Administrator profiles":
  // https://docs.fortinet.com/document/fortigate/7.2.0/administration-guide/294491/administrator-profiles)
  // and prof_admin, the default profile of new administrators.
  builtInProfiles: ['super_admin', 'prof_admin'],
  checkRequest(target, request) {
    return vdomOutsideTarget(target, request);
  },
  deviceScope: vdomScope,
  targetFlags: { options: ADMIN_TOKEN_FLAGS, definition: adminTokenDefinition },
} as const satisfies ProductDefinition<'fortios', typeof FortiOsTarget, typeof ApiKeyMaterial>;
