/**
 * zod schemas of the console / CLI provision request and the target definition: the single source
 * of truth. Handlers parse with them, the CLI validates with them, and `npm run schemas` publishes
 * their JSON Schema under schemas/. The target definition is the union of every product's own
 * target schema, and the request's product-specific fields say which products use them, both
 * derived from the product list (products/index.ts).
 */
import * as z from 'zod';
import { PRODUCTS, type RequestField, type VendorName } from './products/index.ts';
import { TicketSource } from './products/policy.ts';
import { RotationSettings } from './rotation-timing.ts';
import {
  AccessProfile,
  ApiUserName,
  assertWithinSize,
  ConsumerRoleList,
  CredentialTarget,
  FleetSelector,
  OwnerId,
  OwnerRef,
  ProfileName,
  parseInput,
  RpcPermit,
  ServiceUserName,
  TicketId,
  TrustedHostList,
  VdomName,
} from './schemas.ts';

/** Which products use a field, in their own words: `A / B: what it does; C: what it does`. */
function usedBy(field: RequestField): string {
  const products = new Map<string, string[]>();
  for (const product of PRODUCTS) {
    const note = (product.requestFields as Partial<Record<RequestField, string>>)[field];
    if (note) products.set(note, [...(products.get(note) ?? []), product.displayName]);
  }
  return [...products].map(([note, names]) => `${names.join(' / ')}: ${note}`).join('; ');
}

export const ProvisionRequest = z
  .object({
    target: CredentialTarget.describe(
      'Name of a registered target (`provisioner target add`), or `<fleet target>.<device>` for one FortiGate of a fleet',
    ),
    apiUser: ApiUserName.describe('Name of the API user to create on the product'),
    owner: OwnerRef.describe(
      'Who the credential belongs to: a person (e-mail address or directory id, case-insensitive: stored lower case) or a team (`team:<directory group id>`, one the target policy names in teamOwners); revocation finds credentials by owner',
    ),
    requestedBy: OwnerId.optional().describe(
      "The person accountable for the request: required when a team owns the credential (the ticket's requester must be this person); for a person's own credential absent or the owner",
    ),
    shared: z
      .boolean()
      .optional()
      .describe(
        "A person's credential that others use: their offboarding follows the target policy's offboarding.shared (revoke, or hold N days)",
      ),
    ticket: TicketId.describe('Ticket that approved the access; names the execution'),
    accessProfile: AccessProfile.optional().describe(usedBy('accessProfile')),
    trustedHosts: TrustedHostList.optional().describe(usedBy('trustedHosts')),
    serviceUser: ServiceUserName.optional().describe(usedBy('serviceUser')),
    permissionProfile: ProfileName.optional().describe(usedBy('permissionProfile')),
    rpcPermit: RpcPermit.optional().describe(usedBy('rpcPermit')),
    fleet: FleetSelector.optional().describe(usedBy('fleet')),
    vdom: VdomName.optional().describe(
      "Virtual domain (FortiOS VDOM, FortiManager ADOM) of the API user: the target's, root when it names none",
    ),
    consumers: ConsumerRoleList.optional().describe(
      "IAM roles that may read the credential's secret (with the provisioner's own functions); nobody else in the account can, whatever their IAM policies grant. Changed later with `provisioner access grant|revoke`",
    ),
    ticketSource: TicketSource.optional().describe(
      'Who approved the request: the intake sets its ticket system (generic, servicenow, jira); absent: an operator (console, CLI)',
    ),
    comment: z
      .string()
      .max(120)
      .regex(/^[\w .,:;@()/+-]*$/, 'may only hold letters, digits, spaces and .,:;@()/+-')
      .optional()
      .describe('Free text kept with the user on the product'),
    rotation: RotationSettings.optional().describe(
      'When the credential rotates (its schedule, time zone and window), the notice before and the grace period after; absent: every 30 days, UTC, any time, 60 minutes notice, 120 minutes grace',
    ),
  })
  .strict();
export type ProvisionRequest = z.output<typeof ProvisionRequest>;

/** The products' target schemas as a tuple, as the discriminated union wants them. */
type TargetSchemasOf<P extends readonly unknown[]> = {
  -readonly [K in keyof P]: P[K] extends { target: infer T } ? T : never;
};

export const TargetDefinition = z.discriminatedUnion(
  'vendor',
  PRODUCTS.map((product) => product.target) as unknown as TargetSchemasOf<typeof PRODUCTS>,
);
export type TargetDefinition = z.output<typeof TargetDefinition>;

/**
 * A stored or given target definition, parsed with its own product's schema: the union's first parse
 * builds every product's (they are lazy, products/<product>/target.ts), a call needs one. A vendor no
 * product has goes to the union, which refuses it in its own words.
 */
export function parseTargetDefinition(input: unknown, what: string): TargetDefinition {
  const vendor = (input as { readonly vendor?: unknown } | null | undefined)?.vendor;
  const own = PRODUCTS.find((product) => product.name === vendor)?.target;
  return parseInput(own ?? TargetDefinition, input, what) as TargetDefinition;
}

export function parseProvisionRequest(input: unknown): ProvisionRequest {
  assertWithinSize(input, 'provision request');
  return parseInput(ProvisionRequest, input, 'provision request');
}

/** The target definition of one product. */
export type TargetOf<V extends VendorName> = Extract<TargetDefinition, { vendor: V }>;
