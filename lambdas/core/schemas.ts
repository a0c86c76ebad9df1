/**
 * The allow-listed building blocks of every public input: names that later reach a URL path, a CLI
 * line or a secret name, trusted hosts, permissions, and the fields target definitions share. Each
 * product's target schema (products/<product>/product.ts) and the provision request are made of these,
 * so nothing downstream needs to escape.
 */
import { isIPv4 } from 'node:net';
import * as z from 'zod';
import { ValidationError } from './errors.ts';

/** Console input larger than this is refused before anything is parsed further. */
export const MAX_REQUEST_BYTES = 16 * 1024;

/** Letters, digits, dot, dash, underscore; starts with a letter or digit; 35 at most, the shortest product limit. */
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
  )
  // A target's credentials are `<root>/<target>/<user>`: under "targets" they would be named like
  // the target definitions (`<root>/targets/<name>`) and reached by the grants on those.
  .regex(/^(?!targets$)/, 'must not be "targets": that is where the target definitions are kept');

/** A FortiGate's name on its FortiManager (its hostname: letters, digits, "_", "-"; 35 at most). */
export const DeviceName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,34}$/,
    'must be 1-35 characters of letters, digits, "_" or "-", starting with a letter or digit',
  );

/**
 * Which devices of a fleet target one request provisions: named devices, a FortiManager device group
 * (`/dvmdb/adom/<adom>/group/<group>`) or every device of an ADOM (`/dvmdb/adom/<adom>/device`).
 */
export const FleetSelector = z.union([
  z.object({ devices: z.array(DeviceName).min(1).max(100) }).strict(),
  z.object({ deviceGroup: DeviceName }).strict(),
  z
    .object({ adom: z.string().regex(/^[A-Za-z0-9_-]{1,31}$/, 'must be 1-31 letters, digits, "_" or "-"') })
    .strict(),
]);
export type FleetSelector = z.output<typeof FleetSelector>;

/**
 * The target a credential lives on: a registered target, or one managed device of a fleet target,
 * `<fleet>.<device>` (products/fortigate-fleet), which names one credential per device.
 */
export const CREDENTIAL_TARGET_PATTERN = '[a-z0-9][a-z0-9-]{0,62}(?:\\.[A-Za-z0-9][A-Za-z0-9_-]{0,34})?';
export const CredentialTarget = z
  .string()
  .regex(
    new RegExp(`^${CREDENTIAL_TARGET_PATTERN}$`),
    'must be a target name (1-63 lower-case letters, digits or "-"), or <fleet target>.<device name>',
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

/**
 * An owner: an e-mail address or directory id, case-insensitive by this system's choice (as Okta
 * compares logins and mail systems treat addresses in practice), so every entry yields the one
 * canonical form tags are written and compared in: trimmed, lower case. The alphabet is checked
 * before lower-casing and is ASCII, on which NFC is the identity; characters that NFC or
 * lower-casing would turn into ASCII (KELVIN SIGN is canonically `K`) are refused, not aliased.
 */
export const OwnerId = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/,
    'must be an e-mail address or directory id (letters, digits, ._@+-)',
  )
  .toLowerCase();

/**
 * A team: a directory group id (an Okta group id such as `00g1emaKYZTWRYYRRTSK`). Kept as the
 * directory gives it, no case folded: a group id is an opaque id, not a name people type.
 */
export const GroupId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be a directory group id (letters, digits, ._-)');

/** How a team owner is written; `:` is outside OwnerId's alphabet, so no person id reads as a team. */
export const TEAM_OWNER_PREFIX = 'team:';

/**
 * Who owns a credential: a person (an OwnerId, canonical lower case; every owner written before
 * teams existed is one) or a team, `team:<group id>`. The prefix is taken in any case and written
 * lower case: `Team:00gA` is `team:00gA`.
 */
export const OwnerRef = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const isTeam = value.slice(0, TEAM_OWNER_PREFIX.length).toLowerCase() === TEAM_OWNER_PREFIX;
    const parsed = isTeam
      ? GroupId.safeParse(value.slice(TEAM_OWNER_PREFIX.length))
      : OwnerId.safeParse(value);
    if (parsed.success) return isTeam ? `${TEAM_OWNER_PREFIX}${parsed.data}` : parsed.data;
    ctx.addIssue({
      code: 'custom',
      message: isTeam
        ? `a team owner is "team:" and a directory group id (letters, digits, ._-)`
        : 'must be an e-mail address or directory id (letters, digits, ._@+-), or "team:<group id>"',
    });
    return z.NEVER;
  });

export type OwnerKind = 'person' | 'team';

/** Whether a canonical owner (OwnerRef's output, or a legacy owner tag) is a person or a team. */
export function ownerKind(owner: string): OwnerKind {
  return owner.startsWith(TEAM_OWNER_PREFIX) ? 'team' : 'person';
}

/** A product user named in operator instructions: an e-mail address or a plain user name. */
export const ServiceUserName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/,
    'must be 1-128 characters of letters, digits or ._@+- (a user name or e-mail address)',
  );

/**
 * An IAM role a credential's consumer runs as: `arn:<partition>:iam::<account>:role/<path/><name>`
 * (IAM User Guide, "IAM identifiers": names of 1-64 of `\w+=,.@-`, a path of such segments). No
 * wildcard can appear, so a consumer names one role, never a family.
 */
export const ConsumerRoleArn = z
  .string()
  .max(512)
  .regex(
    /^arn:aws[-a-z]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/,
    'must be an IAM role ARN: arn:aws:iam::<12 digits>:role/<path/><name>',
  );

/** At most 10 distinct consumer roles per credential. */
export const ConsumerRoleList = z
  .array(ConsumerRoleArn)
  .max(10, 'at most 10 consumer roles')
  .refine((arns) => new Set(arns).size === arns.length, 'each consumer role at most once');

export const VdomName = z.string().regex(/^[A-Za-z0-9_-]{1,31}$/, 'must be 1-31 letters, digits, "_" or "-"');

function maskToPrefix(mask: string): number | undefined {
  const bits = mask
    .split('.')
    .map((octet) => Number(octet).toString(2).padStart(8, '0'))
    .join('');
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')) : undefined;
}

/**
 * The broadest trusted host and the most addresses a request's trusted hosts may open together:
 * one /8. This is the system-wide ceiling; a per-target policy (a narrower floor per target) is
 * the planned model, and may only tighten it.
 */
const TRUSTED_HOST_MIN_PREFIX = 8;
const MAX_TRUSTED_ADDRESSES = 2n ** BigInt(32 - TRUSTED_HOST_MIN_PREFIX);

/**
 * A trusted host as CIDR (`10.20.100.99/32`) or address and mask (`10.0.0.0 255.255.255.0`),
 * normalized to CIDR. Anything broader than /8 is refused (appliances themselves only refuse
 * `0.0.0.0/0`, which two /1 halves would walk around).
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
    if (prefix < TRUSTED_HOST_MIN_PREFIX) {
      ctx.addIssue({
        code: 'custom',
        message: `"${value}" is a /${prefix} (${2n ** BigInt(32 - prefix)} addresses): a trusted host may be no broader than /${TRUSTED_HOST_MIN_PREFIX} (${MAX_TRUSTED_ADDRESSES} addresses)`,
      });
      return z.NEVER;
    }
    return `${address}/${prefix}`;
  });

/** The first address and the size of a normalized CIDR, host bits cleared, in exact integers. */
function cidrRange(cidr: string): { readonly start: bigint; readonly size: bigint } {
  const [address = '', prefix = ''] = cidr.split('/');
  const value = address.split('.').reduce((sum, octet) => (sum << 8n) + BigInt(octet), 0n);
  const size = 2n ** BigInt(32 - Number(prefix));
  return { start: value - (value % size), size };
}

/** How many distinct addresses CIDR ranges cover together, overlaps counted once. */
export function addressesCovered(cidrs: readonly string[]): bigint {
  const ranges = cidrs.map(cidrRange).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  let covered = 0n;
  let reached = 0n;
  for (const { start, size } of ranges) {
    const end = start + size;
    if (end > reached) {
      covered += end - (start > reached ? start : reached);
      reached = end;
    }
  }
  return covered;
}

/** Whether the normalized CIDR `outer` holds every address of `inner`. */
export function cidrCovers(outer: string, inner: string): boolean {
  const a = cidrRange(outer);
  const b = cidrRange(inner);
  return a.start <= b.start && b.start + b.size <= a.start + a.size;
}

/** The trusted hosts an API user can have: FortiOS's limit, and FortiManager's `trusthost1`..`trusthost10`. */
export const MAX_TRUSTED_HOSTS = 10;

/** A request's trusted hosts: 1-10, opening one /8 at most together (the ceiling above). */
export const TrustedHostList = z
  .array(TrustedHost)
  .min(1, 'at least one trusted host is required')
  .max(MAX_TRUSTED_HOSTS, `at most ${MAX_TRUSTED_HOSTS} trusted hosts`)
  .superRefine((cidrs, ctx) => {
    const covered = addressesCovered(cidrs);
    if (covered > MAX_TRUSTED_ADDRESSES)
      ctx.addIssue({
        code: 'custom',
        message: `the trusted hosts together cover ${covered} addresses, over the ${MAX_TRUSTED_ADDRESSES} (one /${TRUSTED_HOST_MIN_PREFIX}) a request may open`,
      });
  });

export const PermissionLevel = z.enum(['none', 'read', 'read-write']);

/** A permission group (`sysgrp`), or a custom sub-permission of one (`fwgrp.address`). */
export const PermissionKey = z
  .string()
  .regex(/^[a-z]{2,20}grp(\.[a-z0-9-]{1,40})?$/, 'must be a permission group like "fwgrp.address"');

/** JSON-RPC access of a FortiManager API user (its `rpc-permit`). */
export const RpcPermit = z.enum(['read', 'read-write']);
export type RpcPermit = z.output<typeof RpcPermit>;

export const AccessProfile = z
  .object({
    name: ProfileName,
    /**
     * Permission groups, e.g. `{"fwgrp.address": "read"}` for read-only firewall addresses
     * or `{"sysgrp": "read"}`. A dotted key is a custom sub-permission of its group.
     */
    permissions: z
      .record(PermissionKey, PermissionLevel)
      .refine(
        (p) => Object.keys(p).length > 0 && Object.keys(p).length <= 40,
        'must name 1-40 permission groups',
      ),
  })
  .strict();

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

/** SSH access for products that issue keys only on their CLI, host key pinned. Lazy, as the targets are (./requests.ts). */
export const SshAccess = z.lazy(() =>
  z
    .object({
      port: z.number().int().min(1).max(65_535).default(22),
      username: z.string().regex(/^[A-Za-z0-9._-]{1,35}$/, 'must be 1-35 letters, digits, ".", "_" or "-"'),
      password: z.string().min(1).max(512),
      hostKeySha256: z
        .string()
        .regex(
          /^SHA256:[A-Za-z0-9+/]{43}=?$/,
          'must be an OpenSSH SHA256 host key fingerprint ("SHA256:...")',
        ),
    })
    .strict(),
);

export const HttpsBaseUrl = z
  .string()
  .url()
  .refine((u) => u.startsWith('https://'), 'must be an https:// URL')
  .refine((u) => {
    const url = new URL(u);
    return url.pathname === '/' && !url.search && !url.username && !url.password;
  }, 'must be scheme, host and port only');

export const AdminToken = z.object({ token: z.string().min(16).max(512) }).strict();

/**
 * A request path on the product: allow-listed characters only, so nothing is injected into a URL,
 * and none that leaves the target: `//host/...` is another origin to the URL parser, and dot
 * segments are rewritten by it (httpsJson refuses both again before it sends anything). Lazy, as
 * the targets are (./requests.ts).
 */
export const ProductPath = z.lazy(() =>
  z
    .string()
    .regex(/^\/[A-Za-z0-9._~/-]{0,200}$/, 'must be an absolute path of letters, digits and ._~/-')
    .refine((path) => !path.startsWith('//'), 'must not start with "//" (a path naming another host)')
    .refine(
      (path) => !path.split('/').some((segment) => segment === '.' || segment === '..'),
      'must not hold a "." or ".." segment',
    ),
);

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
