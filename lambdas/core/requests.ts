/**
 * zod schemas of every public input: the console / CLI provision request and the target
 * definition. They are the single source of truth: handlers parse with them, the CLI
 * validates with them, and `npm run schemas` publishes their JSON Schema under schemas/.
 *
 * Every name that later reaches a URL path, a CLI line or a secret name is allow-listed
 * here, so nothing downstream needs to escape.
 */
import { isIPv4 } from 'node:net';
import * as z from 'zod';
import { ValidationError } from './errors.ts';

/** Console input larger than this is refused before anything is parsed further. */
export const MAX_REQUEST_BYTES = 16 * 1024;

export const VENDORS = ['fortios', 'fortimanager', 'fortiflex', 'forticnapp', 'autorabit'] as const;
export type VendorName = (typeof VENDORS)[number];

/** Letters, digits, dot, dash, underscore; starts with a letter or digit. FortiOS limits api-user names to 35. */
export const ApiUserName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,34}$/,
    'must be 1-35 characters of letters, digits, ".", "_" or "-", starting with a letter or digit',
  );

export const TargetName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'must be 1-63 characters of lower-case letters, digits or "-", starting with a letter or digit',
  );

export const ProfileName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,34}$/,
    'must be 1-35 characters of letters, digits, ".", "_" or "-", starting with a letter or digit',
  );

export const TicketId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 characters of letters, digits, ".", "_" or "-"');

export const OwnerId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/,
    'must be an e-mail address or directory id (letters, digits, ._@+-)',
  );

/** A product user named in operator instructions: an e-mail address or a plain user name. */
export const ServiceUserName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/,
    'must be 1-128 characters of letters, digits or ._@+- (a user name or e-mail address)',
  );

export const VdomName = z.string().regex(/^[A-Za-z0-9_-]{1,31}$/, 'must be 1-31 letters, digits, "_" or "-"');

function maskToPrefix(mask: string): number | undefined {
  const bits = mask
    .split('.')
    .map((octet) => Number(octet).toString(2).padStart(8, '0'))
    .join('');
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')) : undefined;
}

/**
 * A trusted host as CIDR (`10.20.100.99/32`) or address and mask (`10.0.0.0 255.255.255.0`),
 * normalized to CIDR. `0.0.0.0/0` (any host) is refused, as FortiOS refuses it for api-users.
 */
export const TrustedHost = z
  .string()
  .max(40)
  .transform((value, ctx) => {
    const cidr = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(value.trim());
    const masked = /^(\d{1,3}(?:\.\d{1,3}){3})\s+(\d{1,3}(?:\.\d{1,3}){3})$/.exec(value.trim());
    let address: string | undefined;
    let prefix: number | undefined;
    if (cidr?.[1] && cidr[2]) {
      address = cidr[1];
      prefix = Number(cidr[2]);
    } else if (masked?.[1] && masked[2] && isIPv4(masked[2])) {
      address = masked[1];
      prefix = maskToPrefix(masked[2]);
    }
    if (!address || !isIPv4(address) || prefix === undefined || prefix > 32) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not an IPv4 CIDR or address and mask` });
      return z.NEVER;
    }
    if (prefix === 0) {
      ctx.addIssue({ code: 'custom', message: 'a trusted host of any address (0.0.0.0/0) is not allowed' });
      return z.NEVER;
    }
    return `${address}/${prefix}`;
  });

export const Permission = z.enum(['none', 'read', 'read-write']);

export const AccessProfile = z
  .object({
    name: ProfileName,
    /**
     * Permission groups, e.g. `{"fwgrp.address": "read"}` for read-only firewall addresses
     * or `{"sysgrp": "read"}`. A dotted key is a custom sub-permission of its group.
     */
    permissions: z
      .record(
        z
          .string()
          .regex(/^[a-z]{2,20}grp(\.[a-z0-9-]{1,40})?$/, 'must be a permission group like "fwgrp.address"'),
        Permission,
      )
      .refine(
        (p) => Object.keys(p).length > 0 && Object.keys(p).length <= 40,
        'must name 1-40 permission groups',
      ),
  })
  .strict();

export const ProvisionRequest = z
  .object({
    target: TargetName.describe('Name of a registered target (`provisioner target add`)'),
    apiUser: ApiUserName.describe('Name of the API user to create on the product'),
    owner: OwnerId.describe('Who the credential belongs to; revocation finds credentials by owner'),
    ticket: TicketId.describe('Ticket that approved the access; names the execution'),
    accessProfile: AccessProfile.optional().describe(
      'FortiOS / FortiManager: admin profile the API user gets; created when absent',
    ),
    trustedHosts: z
      .array(TrustedHost)
      .min(1, 'at least one trusted host is required')
      .max(10, 'at most 10 trusted hosts')
      .optional()
      .describe('FortiOS / FortiManager: source addresses allowed to use the key (CIDR or address and mask)'),
    serviceUser: ServiceUserName.optional().describe(
      'FortiCNAPP: the service user the API key is assigned to; AutoRABIT ARM: the user whose license holds the token',
    ),
    permissionProfile: ProfileName.optional().describe(
      'FortiFlex: the IAM permission profile the operator selects for the API user',
    ),
    vdom: VdomName.default('root').describe('Virtual domain of the API user'),
    comment: z
      .string()
      .max(120)
      .regex(/^[\w .,:;@()/+-]*$/, 'may only hold letters, digits, spaces and .,:;@()/+-')
      .optional()
      .describe('Free text kept with the user on the product'),
  })
  .strict();
export type ProvisionRequest = z.output<typeof ProvisionRequest>;

const Sha256Fingerprint = z
  .string()
  .regex(/^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/, 'must be a SHA-256 fingerprint (hex)')
  .transform((f) => f.replace(/:/g, '').toUpperCase());

export const TlsPinning = z
  .object({
    caPem: z.string().max(20_000).includes('-----BEGIN CERTIFICATE-----').optional(),
    fingerprint: Sha256Fingerprint.optional(),
  })
  .strict()
  .refine(
    (t) => t.caPem !== undefined || t.fingerprint !== undefined,
    'give a CA (caPem) or a certificate fingerprint',
  );

/** SSH access for products that issue keys only on their CLI (FortiManager), host key pinned. */
export const SshAccess = z
  .object({
    port: z.number().int().min(1).max(65_535).default(22),
    username: z.string().regex(/^[A-Za-z0-9._-]{1,35}$/, 'must be 1-35 letters, digits, ".", "_" or "-"'),
    password: z.string().min(1).max(512),
    hostKeySha256: z
      .string()
      .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'must be an OpenSSH SHA256 host key fingerprint ("SHA256:...")'),
  })
  .strict();

const HttpsBaseUrl = z
  .string()
  .url()
  .refine((u) => u.startsWith('https://'), 'must be an https:// URL')
  .refine((u) => {
    const url = new URL(u);
    return url.pathname === '/' && !url.search && !url.username && !url.password;
  }, 'must be scheme, host and port only');

const AdminToken = z.object({ token: z.string().min(16).max(512) }).strict();

/** A request path on the product: allow-listed characters only, so nothing is injected into a URL. */
const ProductPath = z
  .string()
  .regex(/^\/[A-Za-z0-9._~/-]{0,200}$/, 'must be an absolute path of letters, digits and ._~/-');

const FortiOsTarget = z
  .object({
    vendor: z.literal('fortios'),
    baseUrl: HttpsBaseUrl,
    adminCredential: AdminToken,
    tls: TlsPinning,
    vdom: VdomName.optional(),
  })
  .strict();

const FortiManagerTarget = z
  .object({
    vendor: z.literal('fortimanager'),
    baseUrl: HttpsBaseUrl,
    adminCredential: AdminToken,
    tls: TlsPinning,
    vdom: VdomName.optional(),
    ssh: SshAccess.describe('keys are generated on the FortiManager CLI over SSH'),
  })
  .strict();

/**
 * Cloud products are reached through the platform's trust store unless `tls` pins a CA or certificate
 * (a lab, a proxy, the simulator). There is no way to switch verification off.
 */
const FortiFlexTarget = z
  .object({
    vendor: z.literal('fortiflex'),
    baseUrl: HttpsBaseUrl.default('https://customerapiauth.fortinet.com/').describe(
      'FortiCloud OAuth host (customerapiauth.fortinet.com)',
    ),
    clientId: z
      .string()
      .regex(/^[a-z0-9_-]{1,32}$/)
      .default('flexvm'),
    tls: TlsPinning.optional(),
  })
  .strict();

const FortiCnappTarget = z
  .object({
    vendor: z.literal('forticnapp'),
    baseUrl: HttpsBaseUrl.describe('https://<account>.lacework.net/'),
    tls: TlsPinning.optional(),
    /** Lifetime asked for brokered bearer tokens (the API allows up to 86400 s). */
    tokenExpirySeconds: z.number().int().min(300).max(86_400).default(3600),
  })
  .strict();

const AutoRabitTarget = z
  .object({
    vendor: z.literal('autorabit'),
    baseUrl: HttpsBaseUrl,
    tls: TlsPinning.optional(),
    /** No public API reference exists: the authenticated read that proves a token works is configured here. */
    verify: z
      .object({
        method: z.enum(['GET', 'POST']).default('GET'),
        path: ProductPath,
      })
      .strict(),
  })
  .strict();

export const TargetDefinition = z.discriminatedUnion('vendor', [
  FortiOsTarget,
  FortiManagerTarget,
  FortiFlexTarget,
  FortiCnappTarget,
  AutoRabitTarget,
]);
export type TargetDefinition = z.output<typeof TargetDefinition>;

/** Parses with a schema and turns zod's issues into one specific, secret-free ValidationError. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `${where}: ${issue.message}`;
  });
  throw new ValidationError(`invalid ${what}`, issues);
}

/** Refuses oversized input before parsing it (the console and the CLI send JSON text). */
export function assertWithinSize(input: unknown, what: string, limit = MAX_REQUEST_BYTES): void {
  const size = Buffer.byteLength(typeof input === 'string' ? input : JSON.stringify(input ?? null));
  if (size > limit) throw new ValidationError(`${what} is ${size} bytes, over the ${limit}-byte limit`);
}

export function parseProvisionRequest(input: unknown): ProvisionRequest {
  assertWithinSize(input, 'provision request');
  return parseInput(ProvisionRequest, input, 'provision request');
}

/** The target definition of one vendor. */
export type TargetOf<V extends VendorName> = Extract<TargetDefinition, { vendor: V }>;
