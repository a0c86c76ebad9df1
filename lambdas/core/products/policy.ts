/**
 * The per-target access policy (docs/target-policy.md): what a provision request for a target may
 * ask for, as a ceiling the target's definition sets. Each product's target schema takes the rules
 * that apply to it (`policyOf`); a request beyond one is refused at ValidateRequest, before any
 * product call, naming the rule. Absent rules take the read-only defaults below.
 */
import * as z from 'zod';
import type { ProvisionRequest } from '../requests.ts';
import {
  addressesCovered,
  GroupId,
  ownerKind,
  PermissionKey,
  PermissionLevel,
  ProfileName,
  ServiceUserName,
  VdomName,
} from '../schemas.ts';

/** Who may approve a request: a ticket system through the intake, or an operator (console, CLI). */
export const TicketSource = z.enum(['generic', 'servicenow', 'jira', 'operator']);
export type TicketSource = z.output<typeof TicketSource>;

/** How old an admin credential may grow when its target's policy says nothing. */
export const ADMIN_KEY_MAX_AGE_DAYS = 90;

const RANK = { none: 0, read: 1, 'read-write': 2 } as const;

/**
 * Every rule a policy may hold; a product's target takes those that apply to it. Built by the first
 * target schema that needs them (those are lazy: ../requests.ts), not when a handler loads this module.
 */
function ruleSchemas() {
  return {
    maxPermission: PermissionLevel.default('read').describe(
      'the most any permission group may get (default read: no request writes)',
    ),
    permissions: z
      .record(PermissionKey, PermissionLevel)
      .optional()
      .describe(
        'ceilings per permission group or sub-permission (`sysgrp: none`, `fwgrp.address: read-write`), over maxPermission',
      ),
    accessProfiles: z
      .array(ProfileName)
      .min(1)
      .max(50)
      .optional()
      .describe('the access profile names a request may ask for (default: any that is not a built-in)'),
    vdoms: z
      .array(VdomName)
      .min(1)
      .max(50)
      .optional()
      .describe("the VDOMs (ADOMs) a request may name (default: only the target's own)"),
    minTrustedHostPrefix: z
      .number()
      .int()
      .min(8)
      .max(32)
      .default(8)
      .describe('the broadest trusted host a request may give, as a prefix length (default /8)'),
    maxTrustedAddresses: z
      .number()
      .int()
      .min(1)
      .max(2 ** 24)
      .default(2 ** 24)
      .describe("the most addresses a request's trusted hosts may open together (default 16777216, one /8)"),
    serviceUsers: z
      .array(ServiceUserName)
      .min(1)
      .max(100)
      .optional()
      .describe('the product users a credential may belong to (default: any)'),
    ticketSources: z
      .array(TicketSource)
      .min(1)
      .optional()
      .describe('who may approve a request for this target (default: every source)'),
    // Reconciliation's answer to drift of a twin-user product (docs/target-policy.md, "Drift repair").
    repair: z
      .enum(['report', 'fix'])
      .default('report')
      .describe(
        'what reconciliation does with drift it can undo (default report: tell only); fix: delete a retired twin a configuration restore brought back, re-issue a broken current key through a rotation',
      ),
    // Not a request ceiling: how old the target's own admin credential may grow (its rotation schedule, and drift).
    adminKeyMaxAgeDays: z
      .number()
      .int()
      .min(2)
      .max(365)
      .default(ADMIN_KEY_MAX_AGE_DAYS)
      .describe(
        `days the admin credential may live: it rotates every half of that, reconciliation reports it older (default ${ADMIN_KEY_MAX_AGE_DAYS})`,
      ),
    // Consumer access (issue 14, item 17): every product's targets take it (policyOf).
    consumerRolePrefixes: z
      .array(
        z
          .string()
          .max(512)
          .regex(
            /^arn:aws[-a-z]*:iam::\d{12}:role\/[\w+=,.@/-]*$/,
            'must be an IAM role ARN or the start of one: arn:aws:iam::<12 digits>:role/<path/>',
          ),
      )
      .min(1)
      .max(50)
      .optional()
      .describe(
        'the consumer roles a request may name, as role ARNs or their starts (`arn:aws:iam::<account>:role/<path>/`); default: any role',
      ),
  } as const;
}
type Rules = ReturnType<typeof ruleSchemas>;
type Rule = keyof Rules;

/**
 * How a person's credential others use (`shared: true`, or with consumers) is offboarded: revoked
 * with the rest, or held for some days with a notice.
 */
export const SharedOffboarding = z.lazy(() =>
  z.union([
    z.literal('revoke'),
    z
      .object({
        holdDays: z
          .number()
          .int()
          .min(1)
          .max(90)
          .describe('days the credential stays usable after its owner leaves'),
      })
      .strict(),
  ]),
);
export type SharedOffboarding = z.output<typeof SharedOffboarding>;

/**
 * Ownership rules, on every product's target (docs/target-policy.md#ownership): which teams may own
 * credentials, and what a person's offboarding does to a credential others use.
 */
function ownershipRuleSchemas() {
  return {
    teamOwners: z
      .array(GroupId)
      .min(1)
      .max(100)
      .optional()
      .describe('the directory groups (teams) that may own credentials on this target (default: none)'),
    offboarding: z
      .object({
        shared: SharedOffboarding.default('revoke').describe(
          'a personal credential others use (shared: true, or with consumers) when its owner leaves: revoke (the default) or { holdDays: N }',
        ),
      })
      .strict()
      .optional()
      .describe(
        "what a person's offboarding does to their credentials others use (`shared: true`, or with consumers)",
      ),
  } as const;
}
type OwnershipRules = ReturnType<typeof ownershipRuleSchemas>;

let built: { readonly rules: Rules; readonly ownership: OwnershipRules } | undefined;
/** The rules every product's targets take besides their own. */
const COMMON_RULES = ['consumerRolePrefixes'] as const satisfies readonly Rule[];

/** The rules of a device whose admin issues keys for its access profiles and VDOMs (ADOMs): FortiOS, FortiManager. */
export const DEVICE_RULES = [
  'maxPermission',
  'permissions',
  'accessProfiles',
  'vdoms',
  'minTrustedHostPrefix',
  'maxTrustedAddresses',
  'ticketSources',
  'repair',
] as const satisfies readonly Rule[];

/** A product's policy schema: the rules that apply to it, every one optional; no policy is the defaults. */
export function policyOf<const K extends Rule>(...rules: readonly K[]) {
  built ??= { rules: ruleSchemas(), ownership: ownershipRuleSchemas() };
  const { rules: all, ownership } = built;
  const shape = {
    ...(Object.fromEntries([...rules, ...COMMON_RULES].map((rule) => [rule, all[rule]])) as Pick<
      Rules,
      K | (typeof COMMON_RULES)[number]
    >),
    ...ownership,
  };
  return z
    .object(shape)
    .strict()
    .optional()
    .describe(
      "the target's access policy: the ceiling of what a request may ask for (docs/target-policy.md)",
    );
}

/** The rules as a target holds them after parsing (absent rules: their defaults, or undefined). */
export type AccessPolicy = Partial<z.output<z.ZodObject<Rules & OwnershipRules>>>;

/** Who may own the credential: a team the policy names, with its accountable person; a person, asking for themself. */
function ownershipIssues(policy: AccessPolicy, request: ProvisionRequest): string[] {
  const issues: string[] = [];
  if (ownerKind(request.owner) === 'team') {
    const group = request.owner.slice(request.owner.indexOf(':') + 1);
    if (!policy.teamOwners?.includes(group))
      issues.push(
        `owner: ${request.owner} may not own credentials on this target (the target policy's teamOwners: ${policy.teamOwners?.join(', ') ?? 'none'})`,
      );
    if (request.requestedBy === undefined)
      issues.push(
        'requestedBy: required when a team owns the credential (the person accountable for the request)',
      );
    if (request.shared)
      issues.push(
        "shared: a team's credential is shared already; shared marks a person's credential that others use",
      );
  } else if (request.requestedBy !== undefined && request.requestedBy !== request.owner) {
    issues.push(
      `requestedBy: ${request.requestedBy} may not request ${request.owner}'s personal credential: a person requests their own`,
    );
  }
  return issues;
}

/** The most a request asks of each permission key's group or sub-permission, against the ceilings. */
function permissionIssues(policy: AccessPolicy, permissions: Readonly<Record<string, string>>): string[] {
  const ceilingOf = (key: string) =>
    policy.permissions?.[key] ??
    policy.permissions?.[key.split('.')[0] ?? key] ??
    policy.maxPermission ??
    'read';
  return Object.entries(permissions).flatMap(([key, asked]) => {
    const ceiling = ceilingOf(key);
    return RANK[asked as keyof typeof RANK] > RANK[ceiling]
      ? [`accessProfile.permissions.${key}: ${asked} is beyond the target policy's ceiling (${ceiling})`]
      : [];
  });
}

/** Every rule of the target's policy the request breaks, one issue each (empty: within it). */
export function policyIssues(policy: AccessPolicy = {}, request: ProvisionRequest): string[] {
  const issues: string[] = [];
  const profile = request.accessProfile;
  if (profile) {
    if (policy.accessProfiles && !policy.accessProfiles.includes(profile.name))
      issues.push(
        `accessProfile.name: ${profile.name} is not among the target policy's accessProfiles (${policy.accessProfiles.join(', ')})`,
      );
    issues.push(...permissionIssues(policy, profile.permissions));
  }
  for (const host of request.trustedHosts ?? []) {
    const prefix = Number(host.split('/')[1]);
    const floor = policy.minTrustedHostPrefix ?? 8;
    if (prefix < floor)
      issues.push(
        `trustedHosts: ${host} is broader than the target policy's minTrustedHostPrefix (/${floor})`,
      );
  }
  const covered = addressesCovered(request.trustedHosts ?? []);
  if (policy.maxTrustedAddresses !== undefined && covered > BigInt(policy.maxTrustedAddresses))
    issues.push(
      `trustedHosts: together ${covered} addresses, over the target policy's maxTrustedAddresses (${policy.maxTrustedAddresses})`,
    );
  if (
    policy.serviceUsers &&
    request.serviceUser !== undefined &&
    !policy.serviceUsers.includes(request.serviceUser)
  )
    issues.push(
      `serviceUser: ${request.serviceUser} is not among the target policy's serviceUsers (${policy.serviceUsers.join(', ')})`,
    );
  issues.push(...ownershipIssues(policy, request));
  issues.push(...consumerIssues(policy, request.consumers ?? []));
  const source = request.ticketSource ?? 'operator';
  if (policy.ticketSources && !policy.ticketSources.includes(source))
    issues.push(
      `ticketSource: ${source} may not approve requests for this target (the target policy's ticketSources: ${policy.ticketSources.join(', ')})`,
    );
  return issues;
}

/** Consumer roles outside the target policy's `consumerRolePrefixes` (also checked by `provisioner access grant`). */
export function consumerIssues(policy: AccessPolicy = {}, consumers: readonly string[]): string[] {
  const prefixes = policy.consumerRolePrefixes;
  if (!prefixes) return [];
  return consumers
    .filter((arn) => !prefixes.some((prefix) => arn.startsWith(prefix)))
    .map(
      (arn) =>
        `consumers: ${arn} is not under the target policy's consumerRolePrefixes (${prefixes.join(', ')})`,
    );
}
