/** FortiCNAPP (Lacework): API keys only in the console; bearer tokens brokered. */
import { KeyPairMaterial } from '../material.ts';
import type { ProductDefinition } from '../product.ts';
import { FortiCnappTarget } from './target.ts';

export const forticnapp = {
  name: 'forticnapp',
  displayName: 'FortiCNAPP',
  target: FortiCnappTarget,
  material: KeyPairMaterial,
  requestFields: { serviceUser: 'the service user the API key is assigned to' },
  targetFlags: { options: [], definition: async ({ common }) => ({ ...common }) },
} as const satisfies ProductDefinition<'forticnapp', typeof FortiCnappTarget, typeof KeyPairMaterial>;
